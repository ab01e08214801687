using System.Text.Json.Serialization;
using CodeExec.Api.Validation;
using k8s;
using k8s.Models;

namespace CodeExec.Api;

/// <summary>
/// A language runtime that CodeExecutions can choose, set up by the platform administrator (cluster-scoped). It fixes the
/// image, the interpreter command, the sandbox RuntimeClass, the user the code runs as, and the default and maximum
/// limits. Users choose a runtime by name; they never choose an image, a volume or a security setting.
/// </summary>
public sealed class CodeRuntime : IKubernetesObject<V1ObjectMeta>, ISpec<CodeRuntimeSpec>
{
    /// <summary>APIVersion defines the versioned schema of this representation of an object.</summary>
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = ApiConstants.ApiVersion;

    /// <summary>Kind is a string value representing the REST resource this object represents.</summary>
    [JsonPropertyName("kind")]
    public string Kind { get; set; } = ApiConstants.CodeRuntimeKind;

    /// <summary>Standard object metadata.</summary>
    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    /// <summary>How code of this runtime is run.</summary>
    [JsonPropertyName("spec")]
    [RequiredField]
    public CodeRuntimeSpec Spec { get; set; } = new();
}

/// <summary>A list of CodeRuntimes.</summary>
public sealed class CodeRuntimeList : IKubernetesObject<V1ListMeta>, IItems<CodeRuntime>
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = ApiConstants.ApiVersion;

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = ApiConstants.CodeRuntimeKind + "List";

    [JsonPropertyName("metadata")]
    public V1ListMeta Metadata { get; set; } = new();

    [JsonPropertyName("items")]
    public IList<CodeRuntime> Items { get; set; } = [];
}

/// <summary>The image, command and policy of a runtime.</summary>
[CelRule("!has(self.egress) || !self.egress.allowed || (has(self.egress.allowedHosts) && size(self.egress.allowedHosts) > 0)",
    ValidationMessages.RuntimeEgressHosts)]
public sealed class CodeRuntimeSpec
{
    /// <summary>A sentence for users on what this runtime offers (language, version, libraries).</summary>
    [JsonPropertyName("description")]
    [Length(0, 1024)]
    public string? Description { get; set; }

    /// <summary>The container image, preferably pinned by digest (registry/name@sha256:...).</summary>
    [JsonPropertyName("image")]
    [RequiredField]
    [Length(1, 512)]
    public string Image { get; set; } = "";

    /// <summary>Image pull policy of the sandbox container: Always, IfNotPresent or Never.</summary>
    [JsonPropertyName("imagePullPolicy")]
    [OneOf("Always", "IfNotPresent", "Never")]
    [DefaultValue("IfNotPresent")]
    public string ImagePullPolicy { get; set; } = "IfNotPresent";

    /// <summary>The interpreter command; the path of the code file is appended, then the execution's args. For example [python3, -I].</summary>
    [JsonPropertyName("command")]
    [RequiredField]
    [Items(1, 16)]
    [Length(1, 1024)]
    public IList<string> Command { get; set; } = [];

    /// <summary>Name of the code file inside the sandbox (for example main.py). Plain name: no '/' and no '..'.</summary>
    [JsonPropertyName("fileName")]
    [RequiredField]
    [Length(1, 253)]
    [CelRule("!self.contains('/') && !self.contains('..') && self.matches('" + ApiConstants.SafeFileNamePattern + "')",
        ValidationMessages.RuntimeFileName)]
    public string FileName { get; set; } = "";

    /// <summary>RuntimeClass of the sandbox Pod. Default gvisor (handler runsc), so the code never talks to the host kernel directly.</summary>
    [JsonPropertyName("runtimeClassName")]
    [Length(1, 253)]
    [Pattern(ApiConstants.DnsSubdomainPattern)]
    [DefaultValue(ApiConstants.DefaultRuntimeClassName)]
    public string RuntimeClassName { get; set; } = ApiConstants.DefaultRuntimeClassName;

    /// <summary>Non-zero UID the code runs as. Default 65532.</summary>
    [JsonPropertyName("runAsUser")]
    [Range(1, 2147483647)]
    [DefaultValue(65532)]
    public long RunAsUser { get; set; } = 65532;

    /// <summary>Non-zero GID the code runs as (also the fsGroup). Default 65532.</summary>
    [JsonPropertyName("runAsGroup")]
    [Range(1, 2147483647)]
    [DefaultValue(65532)]
    public long RunAsGroup { get; set; } = 65532;

    /// <summary>Limits for executions that leave a limit out.</summary>
    [JsonPropertyName("defaultLimits")]
    public ExecutionLimits? DefaultLimits { get; set; }

    /// <summary>The most an execution may ask for; an execution over any of these is Rejected.</summary>
    [JsonPropertyName("maxLimits")]
    public ExecutionLimits? MaxLimits { get; set; }

    /// <summary>Whether executions of this runtime may have outbound network access, and to which hosts.</summary>
    [JsonPropertyName("egress")]
    public RuntimeEgressPolicy? Egress { get; set; }
}

/// <summary>The egress an administrator permits for a runtime.</summary>
public sealed class RuntimeEgressPolicy
{
    /// <summary>True lets executions ask for network mode Egress. Default false: no execution of this runtime has any network.</summary>
    [JsonPropertyName("allowed")]
    [DefaultValue(false)]
    public bool Allowed { get; set; }

    /// <summary>
    /// The only hosts executions may ask to reach (HTTP and HTTPS, through the egress proxy). Public names only: the
    /// operator refuses single-label names, names under .svc and names in the cluster domain, resolves the others as
    /// absolute names, and refuses addresses that are not public unicast unless allowedCIDRs allow them.
    /// </summary>
    [JsonPropertyName("allowedHosts")]
    [Items(0, 64)]
    [ListSet]
    [Length(1, 253)]
    [Pattern(ApiConstants.DnsSubdomainPattern)]
    [CelRule("!self.matches('^[0-9.]+$')", ValidationMessages.HostNotIpAddress)]
    public IList<string>? AllowedHosts { get; set; }

    /// <summary>
    /// Address ranges (CIDRs such as 10.20.0.0/16 or fd00:1234::/32) that allowed hosts may resolve to although they are
    /// not public unicast: private, CGNAT, unique local, documentation, benchmarking or reserved ranges and the cluster
    /// CIDRs the operator refuses by default. Loopback, link-local, multicast, broadcast, unspecified, 0.0.0.0/8 and
    /// cloud metadata addresses are never allowed. Checked against the address and any IPv4 address it carries.
    /// </summary>
    [JsonPropertyName("allowedCIDRs")]
    [Items(0, 64)]
    [ListSet]
    [Length(3, 43)]
    [Pattern(ApiConstants.CidrPattern)]
    public IList<string>? AllowedCIDRs { get; set; }
}
