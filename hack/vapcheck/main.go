// vapcheck evaluates a ValidatingAdmissionPolicy file (config/admission-policy/code_source_access_policy.yaml, or the
// chart's copy) the way kube-apiserver does: it compiles it with the admission plugin's own compile step
// (k8s.io/apiserver/pkg/admission/plugin/policy/validating, compilePolicy, exported by a file build.sh adds to a private
// copy of the package) and runs it on CodeExecution creates in namespace team-a, with an RBAC stand-in that allows
// exactly the listed "verb group/resource namespace/name" grants to the user "tenant". Each case prints its decision
// and "ok" or "UNEXPECTED"; the exit code is 1 when any case is unexpected or the policy does not compile.
//
//	vapcheck POLICY.yaml
package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	v1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/admission/plugin/policy/validating"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"sigs.k8s.io/yaml"
)

type rbac map[string]bool

func (r rbac) Authorize(_ context.Context, a authorizer.Attributes) (authorizer.Decision, string, error) {
	key := fmt.Sprintf("%s %s/%s %s/%s", a.GetVerb(), a.GetAPIGroup(), a.GetResource(), a.GetNamespace(), a.GetName())
	fmt.Printf("    authorizer asked: %s user=%s\n", key, a.GetUser().GetName())
	if r[key] {
		return authorizer.DecisionAllow, "", nil
	}
	return authorizer.DecisionNoOpinion, "", nil
}

func main() {
	data, err := os.ReadFile(os.Args[1])
	if err != nil {
		panic(err)
	}
	var policy v1.ValidatingAdmissionPolicy
	if err := yaml.UnmarshalStrict(data, &policy); err != nil {
		panic(err)
	}
	validator := validating.CompilePolicyForCheck(&policy)
	if err := validator.CompileError(); err != nil {
		fmt.Println("COMPILE ERROR:", err)
		os.Exit(1)
	}
	gvk := schema.GroupVersionKind{Group: "codeexec.dev", Version: "v1alpha1", Kind: "CodeExecution"}
	gvr := schema.GroupVersionResource{Group: "codeexec.dev", Version: "v1alpha1", Resource: "codeexecutions"}
	cases := []struct {
		name   string
		spec   string
		rbac   rbac
		expect validating.PolicyDecisionAction
	}{
		{"inline code", `{"runtime":"python","code":"print(1)"}`, rbac{}, validating.ActionAdmit},
		{"secret, author may not get it", `{"codeFrom":{"secretKeyRef":{"name":"ci-deployer-token","key":"token"}}}`, rbac{}, validating.ActionDeny},
		{"secret, author may get another one", `{"codeFrom":{"secretKeyRef":{"name":"ci-deployer-token","key":"token"}}}`, rbac{"get /secrets team-a/scripts": true}, validating.ActionDeny},
		{"secret, author may get it", `{"codeFrom":{"secretKeyRef":{"name":"scripts","key":"main.py"}}}`, rbac{"get /secrets team-a/scripts": true}, validating.ActionAdmit},
		{"configmap, author may not get it", `{"codeFrom":{"configMapKeyRef":{"name":"src","key":"main.py"}}}`, rbac{}, validating.ActionDeny},
		{"configmap, author may get it", `{"codeFrom":{"configMapKeyRef":{"name":"src","key":"main.py"}}}`, rbac{"get /configmaps team-a/src": true}, validating.ActionAdmit},
	}
	failed := 0
	for _, c := range cases {
		obj := &unstructured.Unstructured{}
		if err := obj.UnmarshalJSON([]byte(`{"apiVersion":"codeexec.dev/v1alpha1","kind":"CodeExecution","metadata":{"name":"x","namespace":"team-a"},"spec":` + c.spec + `}`)); err != nil {
			panic(err)
		}
		attrs := admission.NewAttributesRecord(obj, nil, gvk, "team-a", "x", gvr, "", admission.Create, &metav1.CreateOptions{}, false, &user.DefaultInfo{Name: "tenant"})
		versioned := &admission.VersionedAttributes{Attributes: attrs, VersionedKind: gvk, VersionedObject: obj}
		fmt.Printf("%s:\n", c.name)
		result := validator.Validate(context.Background(), gvr, versioned, nil, nil, celconfig.RuntimeCELCostBudget, c.rbac)
		action := validating.ActionAdmit
		var messages []string
		for _, d := range result.Decisions {
			if d.Action != validating.ActionAdmit {
				action = d.Action
				messages = append(messages, fmt.Sprintf("%s (%s, %s)", d.Message, d.Reason, d.Evaluation))
			}
		}
		verdict := "ok"
		if action != c.expect {
			verdict = "UNEXPECTED"
			failed++
		}
		fmt.Printf("  => %s %s %s\n", action, strings.Join(messages, "; "), verdict)
	}
	if failed > 0 {
		os.Exit(1)
	}
}
