using System.Text.Json;
using System.Text.Json.Nodes;
using static CodeExec.Testing.Emulator.Validation.PodFieldRules;

namespace CodeExec.Testing.Emulator.Validation;

/// <summary>Container rules of Pod validation: regular and init containers, native sidecars, ports, env, mounts, probes, resources.</summary>
internal static partial class PodValidation
{
    private const string NegativeMessage = "must be greater than or equal to 0";
    private const string InitOnlyWithAlwaysMessage = "may not be set for init containers without restartPolicy=Always";

    private static readonly string[] EnvFieldPaths =
    [
        "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName",
        "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs",
    ];

    /// <summary>The field paths the v1 downward API knows at all (<c>ConvertDownwardAPIFieldLabel</c>).</summary>
    private static readonly string[] DownwardApiFieldPaths =
    [
        "metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName",
        "spec.restartPolicy", "spec.serviceAccountName", "spec.schedulerName", "status.phase", "status.hostIP",
        "status.hostIPs", "status.podIP", "status.podIPs",
    ];

    private static readonly string[] ResourceFieldPaths =
        ["limits.cpu", "limits.ephemeral-storage", "limits.memory", "requests.cpu", "requests.ephemeral-storage", "requests.memory"];

    /// <summary><c>validateContainers</c>: at least one; names unique; probes and lifecycle valid; no restartPolicy.</summary>
    private static void ValidateContainers(JsonArray containers, Dictionary<string, JsonObject> volumes, long? gracePeriod, bool hostUsers, string path, List<FieldError> errors)
    {
        if (containers.Count == 0)
        {
            errors.Add(FieldError.Required(path));
            return;
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < containers.Count; i++)
        {
            var container = containers[i] as JsonObject ?? [];
            var index = path.Index(i);
            ValidateContainerCommon(container, volumes, hostUsers, index, errors);
            var name = Str(container, "name") ?? "";
            if (!names.Add(name))
            {
                errors.Add(FieldError.Duplicate(index.Child("name"), name));
            }

            ValidateProbesAndLifecycle(container, gracePeriod, index, errors);
            if (container["restartPolicy"] is not null)
            {
                errors.Add(FieldError.Forbidden(index.Child("restartPolicy"), "may not be set for non-init containers"));
            }
        }

        CheckHostPortConflicts(containers, path, errors);
    }

    /// <summary>
    /// <c>validateInitContainers</c>: names unique across regular and init containers; <c>restartPolicy</c> only
    /// <c>Always</c> (a native sidecar); lifecycle and probes only on sidecars, where they are validated like a regular
    /// container's.
    /// </summary>
    private static void ValidateInitContainers(JsonArray containers, JsonArray regular, Dictionary<string, JsonObject> volumes, long? gracePeriod, bool hostUsers, string path, List<FieldError> errors)
    {
        var names = regular.Select(c => Str(c, "name") ?? "").ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < containers.Count; i++)
        {
            var container = containers[i] as JsonObject ?? [];
            var index = path.Index(i);
            ValidateContainerCommon(container, volumes, hostUsers, index, errors);
            var restartAlways = false;
            if (container["restartPolicy"] is not null)
            {
                var policy = Str(container, "restartPolicy") ?? "";
                if (policy != "Always")
                {
                    errors.Add(FieldError.NotSupported(index.Child("restartPolicy"), policy, ["Always"]));
                }

                restartAlways = policy == "Always";
            }

            var name = Str(container, "name") ?? "";
            if (names.Contains(name))
            {
                errors.Add(FieldError.Duplicate(index.Child("name"), name));
            }
            else if (name.Length > 0)
            {
                names.Add(name);
            }

            // Upstream checks each init container's host ports on its own, as a one-container list: hence index 0.
            CheckHostPortConflicts([container.DeepClone()], path, errors);
            if (restartAlways)
            {
                ValidateProbesAndLifecycle(container, gracePeriod, index, errors);
            }
            else
            {
                foreach (var field in new[] { "lifecycle", "livenessProbe", "readinessProbe", "startupProbe" })
                {
                    if (container[field] is not null)
                    {
                        errors.Add(FieldError.Forbidden(index.Child(field), InitOnlyWithAlwaysMessage));
                    }
                }
            }
        }
    }

    /// <summary>The lifecycle and probe rules regular containers and sidecars share.</summary>
    private static void ValidateProbesAndLifecycle(JsonObject container, long? gracePeriod, string path, List<FieldError> errors)
    {
        if (Obj(container, "lifecycle") is { } lifecycle)
        {
            ValidateLifecycle(lifecycle, gracePeriod, path.Child("lifecycle"), errors);
        }

        if (Obj(container, "livenessProbe") is { } liveness)
        {
            ValidateProbe(liveness, gracePeriod, path.Child("livenessProbe"), errors);
            RequireSuccessThresholdOne(liveness, path.Child("livenessProbe"), errors);
        }

        if (Obj(container, "readinessProbe") is { } readiness)
        {
            ValidateProbe(readiness, gracePeriod, path.Child("readinessProbe"), errors);
            if (Long(readiness, "terminationGracePeriodSeconds") is { } seconds)
            {
                errors.Add(FieldError.Invalid(path.Child("readinessProbe").Child("terminationGracePeriodSeconds"), seconds, "must not be set for readinessProbes"));
            }
        }

        if (Obj(container, "startupProbe") is { } startup)
        {
            ValidateProbe(startup, gracePeriod, path.Child("startupProbe"), errors);
            RequireSuccessThresholdOne(startup, path.Child("startupProbe"), errors);
        }
    }

    /// <summary><c>validateLivenessProbe</c> and <c>validateStartupProbe</c>: successThreshold must be 1.</summary>
    private static void RequireSuccessThresholdOne(JsonObject probe, string path, List<FieldError> errors)
    {
        var threshold = Long(probe, "successThreshold") ?? 0;
        if (threshold != 1)
        {
            errors.Add(FieldError.Invalid(path.Child("successThreshold"), threshold, "must be 1"));
        }
    }

    /// <summary><c>validateProbe</c>: exactly one handler, non-negative timings and thresholds.</summary>
    private static void ValidateProbe(JsonObject probe, long? gracePeriod, string path, List<FieldError> errors)
    {
        ValidateHandler(probe, ["exec", "httpGet", "tcpSocket", "grpc"], gracePeriod, path, errors);
        foreach (var field in new[] { "initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold" })
        {
            if (Long(probe, field) is { } value and < 0)
            {
                errors.Add(FieldError.Invalid(path.Child(field), value, NegativeMessage));
            }
        }

        if (Long(probe, "terminationGracePeriodSeconds") is { } grace and <= 0)
        {
            errors.Add(FieldError.Invalid(path.Child("terminationGracePeriodSeconds"), grace, "must be greater than 0"));
        }
    }

    /// <summary><c>validateLifecycle</c>.</summary>
    private static void ValidateLifecycle(JsonObject lifecycle, long? gracePeriod, string path, List<FieldError> errors)
    {
        foreach (var hook in new[] { "postStart", "preStop" })
        {
            if (Obj(lifecycle, hook) is { } handler)
            {
                ValidateHandler(handler, ["exec", "httpGet", "tcpSocket", "sleep"], gracePeriod, path.Child(hook), errors);
            }
        }
    }

    /// <summary><c>validateHandler</c>: exactly one of the given handler kinds, each valid.</summary>
    private static void ValidateHandler(JsonObject handler, string[] kinds, long? gracePeriod, string path, List<FieldError> errors)
    {
        var count = 0;
        foreach (var kind in kinds)
        {
            if (handler[kind] is not JsonObject action)
            {
                continue;
            }

            if (count > 0)
            {
                errors.Add(FieldError.Forbidden(path.Child(kind), "may not specify more than 1 handler type"));
                continue;
            }

            count++;
            var actionPath = path.Child(kind);
            switch (kind)
            {
                case "exec":
                    if (Arr(action, "command").Count == 0)
                    {
                        errors.Add(FieldError.Required(actionPath.Child("command")));
                    }

                    break;
                case "httpGet":
                    if (Str(action, "path") is null or "")
                    {
                        errors.Add(FieldError.Required(actionPath.Child("path")));
                    }

                    ValidatePortNumOrName(action["port"], actionPath.Child("port"), errors);
                    var scheme = Str(action, "scheme") ?? "";
                    if (scheme is not ("HTTP" or "HTTPS"))
                    {
                        errors.Add(FieldError.NotSupported(actionPath.Child("scheme"), scheme, ["HTTP", "HTTPS"]));
                    }

                    foreach (var header in Arr(action, "httpHeaders"))
                    {
                        var headerName = Str(header, "name") ?? "";
                        errors.AddRange(IsHttpHeaderName(headerName).Select(m => FieldError.Invalid(actionPath.Child("httpHeaders"), headerName, m)));
                    }

                    break;
                case "tcpSocket":
                    ValidatePortNumOrName(action["port"], actionPath.Child("port"), errors);
                    break;
                case "grpc":
                    var port = Long(action, "port") ?? 0;
                    errors.AddRange(IsValidPortNum(port).Select(m => FieldError.Invalid(actionPath.Child("port"), port, m)));
                    break;
                case "sleep":
                    var seconds = Long(action, "seconds") ?? 0;
                    if (gracePeriod is { } grace && (seconds < 0 || seconds > grace))
                    {
                        errors.Add(FieldError.Invalid(actionPath, seconds, $"must be non-negative and less than terminationGracePeriodSeconds ({grace})"));
                    }

                    break;
            }
        }

        if (count == 0)
        {
            errors.Add(FieldError.Required(path, "must specify a handler type"));
        }
    }

    /// <summary><c>ValidatePortNumOrName</c>: a number in 1-65535 or an IANA service name.</summary>
    private static void ValidatePortNumOrName(JsonNode? port, string path, List<FieldError> errors)
    {
        if (port is JsonValue value && value.GetValueKind() == JsonValueKind.String)
        {
            var name = value.GetValue<string>();
            errors.AddRange(IsValidPortName(name).Select(m => FieldError.Invalid(path, name, m)));
        }
        else
        {
            var number = AsLong(port) ?? 0;
            errors.AddRange(IsValidPortNum(number).Select(m => FieldError.Invalid(path, number, m)));
        }
    }

    /// <summary><c>validateContainerCommon</c>: the rules every kind of container shares.</summary>
    private static void ValidateContainerCommon(JsonObject container, Dictionary<string, JsonObject> volumes, bool hostUsers, string path, List<FieldError> errors)
    {
        var name = Str(container, "name") ?? "";
        if (name.Length == 0)
        {
            errors.Add(FieldError.Required(path.Child("name")));
        }
        else
        {
            errors.AddRange(ValidateDns1123Label(name, path.Child("name")));
        }

        if (Str(container, "image") is null or "")
        {
            errors.Add(FieldError.Required(path.Child("image")));
        }

        ValidateEnum(Str(container, "terminationMessagePolicy") ?? "", path.Child("terminationMessagePolicy"), ["File", "FallbackToLogsOnError"], errors);
        ValidateContainerPorts(Arr(container, "ports"), path.Child("ports"), errors);
        ValidateEnv(Arr(container, "env"), path.Child("env"), errors);
        ValidateEnvFrom(Arr(container, "envFrom"), path.Child("envFrom"), errors);
        ValidateVolumeMounts(Arr(container, "volumeMounts"), volumes, container, path.Child("volumeMounts"), errors);
        ValidateEnum(Str(container, "imagePullPolicy") ?? "", path.Child("imagePullPolicy"), ["Always", "IfNotPresent", "Never"], errors);
        ValidateContainerResourceRequirements(Obj(container, "resources") ?? [], path.Child("resources"), errors);
        if (Obj(container, "securityContext") is { } securityContext)
        {
            ValidateSecurityContext(securityContext, path.Child("securityContext"), hostUsers, errors);
        }
    }

    /// <summary><c>validateContainerPorts</c>: unique valid names, a containerPort, valid host ports, a known protocol.</summary>
    private static void ValidateContainerPorts(JsonArray ports, string path, List<FieldError> errors)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < ports.Count; i++)
        {
            var port = ports[i] as JsonObject ?? [];
            var index = path.Index(i);
            if (Str(port, "name") is { Length: > 0 } name)
            {
                var messages = IsValidPortName(name);
                if (messages.Count > 0)
                {
                    errors.AddRange(messages.Select(m => FieldError.Invalid(index.Child("name"), name, m)));
                }
                else if (!names.Add(name))
                {
                    errors.Add(FieldError.Duplicate(index.Child("name"), name));
                }
            }

            var containerPort = Long(port, "containerPort") ?? 0;
            if (containerPort == 0)
            {
                errors.Add(FieldError.Required(index.Child("containerPort")));
            }
            else
            {
                errors.AddRange(IsValidPortNum(containerPort).Select(m => FieldError.Invalid(index.Child("containerPort"), containerPort, m)));
            }

            if (Long(port, "hostPort") is { } hostPort and not 0)
            {
                errors.AddRange(IsValidPortNum(hostPort).Select(m => FieldError.Invalid(index.Child("hostPort"), hostPort, m)));
            }

            var protocol = Str(port, "protocol") ?? "";
            if (protocol.Length == 0)
            {
                errors.Add(FieldError.Required(index.Child("protocol")));
            }
            else if (protocol is not ("SCTP" or "TCP" or "UDP"))
            {
                errors.Add(FieldError.NotSupported(index.Child("protocol"), protocol, ["SCTP", "TCP", "UDP"]));
            }
        }
    }

    /// <summary><c>AccumulateUniqueHostPorts</c>: no two ports with the same protocol, host IP and host port.</summary>
    private static void CheckHostPortConflicts(JsonArray containers, string path, List<FieldError> errors)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < containers.Count; i++)
        {
            var ports = Arr(containers[i], "ports");
            for (var j = 0; j < ports.Count; j++)
            {
                var hostPort = Long(ports[j], "hostPort") ?? 0;
                if (hostPort == 0)
                {
                    continue;
                }

                var key = $"{Str(ports[j], "protocol")}/{Str(ports[j], "hostIP")}/{hostPort}";
                if (!seen.Add(key))
                {
                    errors.Add(FieldError.Duplicate(path.Index(i).Child("ports").Index(j).Child("hostPort"), key));
                }
            }
        }
    }

    /// <summary><c>ValidateEnv</c>: names per <c>IsEnvVarName</c>, and a valid <c>valueFrom</c>.</summary>
    private static void ValidateEnv(JsonArray env, string path, List<FieldError> errors)
    {
        for (var i = 0; i < env.Count; i++)
        {
            var variable = env[i] as JsonObject ?? [];
            var index = path.Index(i);
            var name = Str(variable, "name") ?? "";
            if (name.Length == 0)
            {
                errors.Add(FieldError.Required(index.Child("name")));
            }
            else
            {
                errors.AddRange(IsEnvVarName(name).Select(m => FieldError.Invalid(index.Child("name"), name, m)));
            }

            ValidateEnvVarValueFrom(variable, index.Child("valueFrom"), errors);
        }
    }

    /// <summary><c>validateEnvVarValueFrom</c>: exactly one source, and not together with <c>value</c>.</summary>
    private static void ValidateEnvVarValueFrom(JsonObject variable, string path, List<FieldError> errors)
    {
        if (Obj(variable, "valueFrom") is not { } from)
        {
            return;
        }

        var sources = 0;
        if (Obj(from, "fieldRef") is { } fieldRef)
        {
            sources++;
            ValidateObjectFieldSelector(fieldRef, EnvFieldPaths, path.Child("fieldRef"), errors);
        }

        if (Obj(from, "resourceFieldRef") is { } resourceFieldRef)
        {
            sources++;
            var resource = Str(resourceFieldRef, "resource") ?? "";
            if (resource.Length == 0)
            {
                errors.Add(FieldError.Required(path.Child("resourceFieldRef").Child("resource")));
            }
            else if (!ResourceFieldPaths.Contains(resource, StringComparer.Ordinal)
                && !resource.StartsWith("requests.hugepages-", StringComparison.Ordinal) && !resource.StartsWith("limits.hugepages-", StringComparison.Ordinal))
            {
                errors.Add(FieldError.NotSupported(path.Child("resourceFieldRef").Child("resource"), resource, ResourceFieldPaths));
            }
        }

        foreach (var kind in new[] { "configMapKeyRef", "secretKeyRef" })
        {
            if (Obj(from, kind) is { } keyRef)
            {
                sources++;
                var name = Str(keyRef, "name") ?? "";
                errors.AddRange(IsDns1123Subdomain(name).Select(m => FieldError.Invalid(path.Child(kind).Child("name"), name, m)));
                var key = Str(keyRef, "key") ?? "";
                if (key.Length == 0)
                {
                    errors.Add(FieldError.Required(path.Child(kind).Child("key")));
                }
                else
                {
                    errors.AddRange(IsConfigMapKey(key).Select(m => FieldError.Invalid(path.Child(kind).Child("key"), key, m)));
                }
            }
        }

        if (sources == 0)
        {
            errors.Add(FieldError.Invalid(path, "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"));
        }
        else if (Str(variable, "value") is { Length: > 0 })
        {
            errors.Add(FieldError.Invalid(path, "", "may not be specified when `value` is not empty"));
        }
        else if (sources > 1)
        {
            errors.Add(FieldError.Invalid(path, "", "may not have more than one field specified at a time"));
        }
    }

    /// <summary><c>validateObjectFieldSelector</c>: an apiVersion, a known field path (labels and annotations by key).</summary>
    private static void ValidateObjectFieldSelector(JsonObject selector, string[] supported, string path, List<FieldError> errors)
    {
        var apiVersion = Str(selector, "apiVersion") ?? "";
        var fieldPath = Str(selector, "fieldPath") ?? "";
        if (apiVersion.Length == 0)
        {
            errors.Add(FieldError.Required(path.Child("apiVersion")));
            return;
        }

        if (fieldPath.Length == 0)
        {
            errors.Add(FieldError.Required(path.Child("fieldPath")));
            return;
        }

        var open = fieldPath.IndexOf('[', StringComparison.Ordinal);
        var subscripted = open > 0 && fieldPath.EndsWith("']", StringComparison.Ordinal) && fieldPath.Length > open + 4 && fieldPath[open + 1] == '\'';
        var basePath = subscripted ? fieldPath[..open] : fieldPath;
        if (apiVersion != "v1")
        {
            errors.Add(FieldError.Invalid(path.Child("fieldPath"), fieldPath, $"error converting fieldPath: unsupported pod version: {apiVersion}"));
            return;
        }

        if (!DownwardApiFieldPaths.Contains(basePath, StringComparer.Ordinal))
        {
            errors.Add(FieldError.Invalid(path.Child("fieldPath"), fieldPath, $"error converting fieldPath: field label not supported: {fieldPath}"));
            return;
        }

        if (subscripted)
        {
            var key = fieldPath[(open + 2)..^2];
            switch (basePath)
            {
                case "metadata.annotations":
                    errors.AddRange(IsQualifiedName(key.ToLowerInvariant()).Select(m => FieldError.Invalid(path, key.ToLowerInvariant(), m)));
                    break;
                case "metadata.labels":
                    errors.AddRange(IsQualifiedName(key).Select(m => FieldError.Invalid(path, key, m)));
                    break;
                default:
                    errors.Add(FieldError.Invalid(path, basePath, "does not support subscript"));
                    break;
            }
        }
        else if (!supported.Contains(basePath, StringComparer.Ordinal))
        {
            errors.Add(FieldError.NotSupported(path.Child("fieldPath"), basePath, supported));
        }
    }

    /// <summary><c>ValidateEnvFrom</c>: a valid prefix and exactly one of configMapRef and secretRef, named.</summary>
    private static void ValidateEnvFrom(JsonArray sources, string path, List<FieldError> errors)
    {
        for (var i = 0; i < sources.Count; i++)
        {
            var source = sources[i] as JsonObject ?? [];
            var index = path.Index(i);
            if (Str(source, "prefix") is { Length: > 0 } prefix)
            {
                errors.AddRange(IsEnvVarName(prefix).Select(m => FieldError.Invalid(index.Child("prefix"), prefix, m)));
            }

            var count = 0;
            foreach (var kind in new[] { "configMapRef", "secretRef" })
            {
                if (Obj(source, kind) is not { } reference)
                {
                    continue;
                }

                count++;
                var name = Str(reference, "name") ?? "";
                if (name.Length == 0)
                {
                    errors.Add(FieldError.Required(index.Child(kind).Child("name")));
                }
                else
                {
                    errors.AddRange(IsDns1123Subdomain(name).Select(m => FieldError.Invalid(index.Child(kind).Child("name"), name, m)));
                }
            }

            if (count == 0)
            {
                errors.Add(FieldError.Invalid(path, "", "must specify one of: `configMapRef` or `secretRef`"));
            }
            else if (count > 1)
            {
                errors.Add(FieldError.Invalid(path, "", "may not have more than one field specified at a time"));
            }
        }
    }

    /// <summary>
    /// <c>ValidateVolumeMounts</c>: each mount names a (valid) volume of the Pod, has a mount path unique in the
    /// container, and a relative subPath. Upstream reports subPath, subPathExpr, mountPropagation and
    /// recursiveReadOnly errors on the list's path, not the item's; so does the emulator.
    /// </summary>
    private static void ValidateVolumeMounts(JsonArray mounts, Dictionary<string, JsonObject> volumes, JsonObject container, string path, List<FieldError> errors)
    {
        var mountPoints = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < mounts.Count; i++)
        {
            var mount = mounts[i] as JsonObject ?? [];
            var index = path.Index(i);
            var name = Str(mount, "name") ?? "";
            var mountPath = Str(mount, "mountPath") ?? "";
            if (name.Length == 0)
            {
                errors.Add(FieldError.Required(index.Child("name")));
            }

            if (!volumes.TryGetValue(name, out var volume))
            {
                errors.Add(FieldError.NotFound(index.Child("name"), name));
            }

            if (mountPath.Length == 0)
            {
                errors.Add(FieldError.Required(index.Child("mountPath")));
            }

            if (!mountPoints.Add(mountPath))
            {
                errors.Add(FieldError.Invalid(index.Child("mountPath"), mountPath, "must be unique"));
            }

            var subPath = Str(mount, "subPath") ?? "";
            var subPathExpr = Str(mount, "subPathExpr") ?? "";
            if (volume?["image"] is not null)
            {
                if (subPath.Length > 0)
                {
                    errors.Add(FieldError.Invalid(index.Child("subPath"), subPath, "not allowed in image volume sources"));
                }

                if (subPathExpr.Length > 0)
                {
                    errors.Add(FieldError.Invalid(index.Child("subPathExpr"), subPathExpr, "not allowed in image volume sources"));
                }
            }

            if (subPath.Length > 0)
            {
                ValidateLocalDescendingPath(subPath, path.Child("subPath"), errors);
            }

            if (subPathExpr.Length > 0)
            {
                if (subPath.Length > 0)
                {
                    errors.Add(FieldError.Invalid(index.Child("subPathExpr"), subPathExpr, "subPathExpr and subPath are mutually exclusive"));
                }

                ValidateLocalDescendingPath(subPathExpr, path.Child("subPathExpr"), errors);
            }

            var propagation = Str(mount, "mountPropagation");
            if (mount["mountPropagation"] is not null)
            {
                var propagationPath = path.Child("mountPropagation");
                if (propagation is not ("Bidirectional" or "HostToContainer" or "None"))
                {
                    errors.Add(FieldError.NotSupported(propagationPath, propagation ?? "", ["Bidirectional", "HostToContainer", "None"]));
                }

                if (propagation == "Bidirectional" && Bool(Obj(container, "securityContext"), "privileged") != true)
                {
                    errors.Add(FieldError.Forbidden(propagationPath, "Bidirectional mount propagation is available only to privileged containers"));
                }
            }

            if (mount["recursiveReadOnly"] is not null)
            {
                var rroPath = path.Child("recursiveReadOnly");
                switch (Str(mount, "recursiveReadOnly"))
                {
                    case "Disabled":
                        break;
                    case "Enabled" or "IfPossible":
                        if (Bool(mount, "readOnly") != true)
                        {
                            errors.Add(FieldError.Forbidden(rroPath, "may only be specified when readOnly is true"));
                        }

                        if (propagation is not (null or "None"))
                        {
                            errors.Add(FieldError.Forbidden(rroPath, "may only be specified when mountPropagation is None or not specified"));
                        }

                        break;
                    case var other:
                        errors.Add(FieldError.NotSupported(rroPath, other ?? "", ["Disabled", "Enabled", "IfPossible"]));
                        break;
                }
            }
        }
    }
}
