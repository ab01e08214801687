using System.Text;
using System.Text.Json.Nodes;
using CodeExec.Testing.Emulator.Validation;

namespace CodeExec.Testing.Emulator;

/// <summary>
/// The per-kind defaulting and validation the emulator does for built-in kinds: the subset of the API server's
/// registry strategies and admission that tests can observe (pod defaults, validation (<see cref="PodValidation"/>) and
/// status, secret stringData, namespace phase).
/// </summary>
internal static class BuiltinRules
{
    public static void PrepareForCreate(ResourceType type, JsonObject obj)
    {
        if (type.IsCustom)
        {
            if (type.HasStatus)
            {
                obj.Remove("status");
            }

            StructuralSchema.PruneAndDefault(obj, type.Schema);
            return;
        }

        switch (type.Group, type.Plural)
        {
            case ("", "pods"):
                DefaultPod(obj);
                obj["status"] = new JsonObject { ["phase"] = "Pending", ["qosClass"] = QosClass(obj) };
                break;
            case ("", "namespaces"):
                obj["spec"] = new JsonObject { ["finalizers"] = new JsonArray("kubernetes") };
                obj["status"] = new JsonObject { ["phase"] = "Active" };
                break;
            case ("", "secrets"):
                MergeStringData(obj);
                obj["type"] ??= "Opaque";
                break;
            case ("", "resourcequotas"):
                obj.Remove("status");
                break;
            case ("", "serviceaccounts") or ("", "configmaps") or ("", "events"):
                break;
        }
    }

    /// <summary>Validates an update of the main resource against the stored object (422 when Kubernetes refuses it).</summary>
    public static void PrepareForUpdate(ResourceType type, JsonObject next, StoredObject current)
    {
        if (type.IsCustom)
        {
            StructuralSchema.PruneAndDefault(next, type.Schema);
            return;
        }

        switch (type.Group, type.Plural)
        {
            case ("", "pods"):
                DefaultPod(next);
                PodValidation.ValidatePodUpdate(next, current.Object).ThrowIfInvalid(type, current.Name);
                break;
            case ("", "secrets"):
                // SetDefaults_Secret runs on every decode: a PUT without type asks for Opaque (and ValidateSecretUpdate
                // refuses the change when the stored type differs).
                MergeStringData(next);
                if (string.IsNullOrEmpty(ObjectMeta.GetString(next, "type")))
                {
                    next["type"] = "Opaque";
                }

                break;
            case ("", "namespaces"):
                next["spec"] = current.Object["spec"]?.DeepClone();
                break;
        }
    }

    private static void DefaultPod(JsonObject pod)
    {
        if (pod["spec"] is not JsonObject spec)
        {
            return;
        }

        spec["restartPolicy"] ??= "Always";
        spec["terminationGracePeriodSeconds"] ??= 30;
        spec["dnsPolicy"] ??= "ClusterFirst";
        spec["schedulerName"] ??= "default-scheduler";
        spec["securityContext"] ??= new JsonObject();
        spec["enableServiceLinks"] ??= true;
        if (spec["serviceAccountName"] is null)
        {
            spec["serviceAccountName"] = spec["serviceAccount"]?.DeepClone() ?? "default";
        }

        spec["serviceAccount"] ??= spec["serviceAccountName"]!.DeepClone();
        foreach (var listName in new[] { "containers", "initContainers" })
        {
            foreach (var container in (spec[listName] as JsonArray ?? []).OfType<JsonObject>())
            {
                container["terminationMessagePath"] ??= "/dev/termination-log";
                container["terminationMessagePolicy"] ??= "File";
                if (container["imagePullPolicy"] is null)
                {
                    var image = ObjectMeta.GetString(container, "image") ?? "";
                    var lastSegment = image[(image.LastIndexOf('/') + 1)..];
                    var latest = !lastSegment.Contains(':', StringComparison.Ordinal) || lastSegment.EndsWith(":latest", StringComparison.Ordinal);
                    container["imagePullPolicy"] = latest && !image.Contains('@', StringComparison.Ordinal) ? "Always" : "IfNotPresent";
                }

                container["resources"] ??= new JsonObject();
                DefaultRequestsFromLimits((JsonObject)container["resources"]!);
                DefaultContainer(container, hostNetwork: spec["hostNetwork"] is JsonValue host && host.TryGetValue<bool>(out var isHost) && isHost);
            }
        }

        foreach (var volume in (spec["volumes"] as JsonArray ?? []).OfType<JsonObject>())
        {
            foreach (var source in new[] { "configMap", "secret", "downwardAPI", "projected" })
            {
                if (volume[source] is JsonObject sourceObject)
                {
                    sourceObject["defaultMode"] ??= 420;
                }
            }
        }
    }

    /// <summary>
    /// The v1 defaults inside a container that validation relies on (SetDefaults_Probe, _HTTPGetAction,
    /// _ContainerPort, _ObjectFieldSelector and the hostNetwork host ports of SetDefaults_PodSpec).
    /// </summary>
    private static void DefaultContainer(JsonObject container, bool hostNetwork)
    {
        foreach (var port in (container["ports"] as JsonArray ?? []).OfType<JsonObject>())
        {
            port["protocol"] ??= "TCP";
            if (hostNetwork && port["hostPort"] is null)
            {
                port["hostPort"] = port["containerPort"]?.DeepClone();
            }
        }

        foreach (var probeName in new[] { "livenessProbe", "readinessProbe", "startupProbe" })
        {
            if (container[probeName] is JsonObject probe)
            {
                probe["timeoutSeconds"] ??= 1;
                probe["periodSeconds"] ??= 10;
                probe["successThreshold"] ??= 1;
                probe["failureThreshold"] ??= 3;
                DefaultHttpGet(probe["httpGet"] as JsonObject);
            }
        }

        foreach (var hook in new[] { "postStart", "preStop" })
        {
            DefaultHttpGet(container["lifecycle"]?[hook]?["httpGet"] as JsonObject);
        }

        foreach (var variable in (container["env"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (variable["valueFrom"]?["fieldRef"] is JsonObject fieldRef)
            {
                fieldRef["apiVersion"] ??= "v1";
            }
        }
    }

    private static void DefaultHttpGet(JsonObject? httpGet)
    {
        if (httpGet is not null)
        {
            httpGet["path"] ??= "/";
            httpGet["scheme"] ??= "HTTP";
        }
    }

    /// <summary>
    /// <c>SetDefaults_Pod</c>: a container resource with a limit and no request gets the limit as its request.
    /// (<c>spec.priority</c> is not defaulted here: the Priority admission plugin sets it.)
    /// </summary>
    private static void DefaultRequestsFromLimits(JsonObject resources)
    {
        if (resources["limits"] is not JsonObject { Count: > 0 } limits)
        {
            return;
        }

        if (resources["requests"] is not JsonObject requests)
        {
            requests = [];
            resources["requests"] = requests;
        }

        foreach (var (name, value) in limits)
        {
            requests[name] ??= value?.DeepClone();
        }
    }

    /// <summary>The pod's QoS class from its containers' requests and limits.</summary>
    internal static string QosClass(JsonObject pod)
    {
        var containers = (pod["spec"]?["containers"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var any = false;
        var guaranteed = containers.Count > 0;
        foreach (var container in containers)
        {
            var requests = container["resources"]?["requests"] as JsonObject;
            var limits = container["resources"]?["limits"] as JsonObject;
            any |= requests is { Count: > 0 } || limits is { Count: > 0 };
            foreach (var resource in new[] { "cpu", "memory" })
            {
                var limit = limits?[resource]?.ToJsonString();
                var request = requests?[resource]?.ToJsonString() ?? limit;
                guaranteed &= limit is not null && request == limit;
            }
        }

        return !any ? "BestEffort" : guaranteed ? "Guaranteed" : "Burstable";
    }

    private static void MergeStringData(JsonObject secret)
    {
        if (secret["stringData"] is not JsonObject stringData)
        {
            return;
        }

        if (secret["data"] is not JsonObject data)
        {
            data = [];
            secret["data"] = data;
        }

        foreach (var (key, value) in stringData)
        {
            data[key] = Convert.ToBase64String(Encoding.UTF8.GetBytes(value?.GetValue<string>() ?? ""));
        }

        secret.Remove("stringData");
    }
}
