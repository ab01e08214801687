using System.Text.Json.Nodes;

namespace CodeExec.Testing.Emulator.Admission;

/// <summary>
/// The <c>ServiceAccount</c> admission plugin (<c>plugin/pkg/admission/serviceaccount/admission.go</c>, <c>Admit</c>):
/// a pod without <c>spec.serviceAccountName</c> gets <c>default</c>; the named service account must exist in the
/// pod's namespace (403 <c>error looking up service account ns/name: serviceaccount "name" not found</c>); a pod
/// without <c>imagePullSecrets</c> gets the service account's. Mirror pods are left alone. Not emulated: the projected
/// token volume (<c>kube-api-access-*</c>) the plugin mounts when <c>automountServiceAccountToken</c> is not false.
/// </summary>
internal sealed class ServiceAccountAdmission(ResourceRegistry registry, ObjectStore store) : IAdmissionPlugin
{
    public const string DefaultName = "default";
    private const string MirrorPodAnnotation = "kubernetes.io/config.mirror";

    public string Name => AdmissionPlugins.ServiceAccount;

    public void Admit(AdmissionRequest request)
    {
        if (!request.IsPod || request.Object["spec"] is not JsonObject spec)
        {
            return;
        }

        if (ObjectMeta.Metadata(request.Object)["annotations"]?[MirrorPodAnnotation] is not null)
        {
            return;
        }

        if (string.IsNullOrEmpty(ObjectMeta.GetString(spec, "serviceAccountName")))
        {
            spec["serviceAccountName"] = DefaultName;
        }

        var name = ObjectMeta.GetString(spec, "serviceAccountName")!;
        var serviceAccounts = registry.Find("", "v1", "serviceaccounts")!;
        var account = store.Get(serviceAccounts.StorageKey, request.Namespace, name)
            ?? throw request.Forbidden($"error looking up service account {request.Namespace}/{name}: serviceaccount \"{name}\" not found");
        if (spec["imagePullSecrets"] is not JsonArray { Count: > 0 } && account.Object["imagePullSecrets"] is JsonArray { Count: > 0 } secrets)
        {
            spec["imagePullSecrets"] = secrets.DeepClone();
        }
    }

    /// <summary>
    /// What the serviceaccounts controller (<c>pkg/controller/serviceaccount/serviceaccounts_controller.go</c>) does
    /// for every active namespace: the <c>default</c> service account.
    /// </summary>
    public static JsonObject DefaultServiceAccount(string @namespace) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "ServiceAccount",
        ["metadata"] = new JsonObject { ["name"] = DefaultName, ["namespace"] = @namespace },
    };
}
