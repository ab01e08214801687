using System.Globalization;
using System.Text.Json.Nodes;
using CodeExec.Testing.Emulator.Admission;
using CodeExec.Testing.Emulator.Validation;

namespace CodeExec.Testing.Emulator;

/// <summary>Who writes and whether to keep the result (<c>dryRun=All</c>).</summary>
internal readonly record struct WriteContext(string Manager, bool DryRun);

/// <summary>DeleteOptions as the API server reads them from the body and the query.</summary>
internal sealed record DeleteRequest(string? PropagationPolicy, long? GracePeriodSeconds, string? PreconditionUid, string? PreconditionResourceVersion);

/// <summary>The result of a delete: the object as it last was, and whether it is gone or only marked for deletion.</summary>
internal readonly record struct DeleteResult(StoredObject Object, bool Removed);

/// <summary>
/// The registry semantics of writes, all applied under the store's lock so each write is atomic: create (names,
/// uid, timestamps, generation), update (optimistic concurrency, status subresource split, generation), delete
/// (preconditions, finalizers, deletionTimestamp, propagation policy), and final removal once finalizers are gone.
/// </summary>
internal sealed class ApiOperations(ResourceRegistry registry, ObjectStore store, PodLogStore logs, EmulatorOptions options, TimeProvider time)
{
    public const string OrphanFinalizer = "orphan";

    /// <summary>maxGeneratedNameLength: 63 minus the five random characters.</summary>
    private const int MaxGeneratedNamePrefix = 58;

    private readonly AdmissionChain _admission = StartAdmission(registry, store, options, time);

    public ResourceRegistry Registry => registry;

    public ObjectStore Store => store;

    public StoredObject Create(ResourceType type, string? @namespace, JsonObject body, WriteContext context)
    {
        CheckTypeMeta(type, body);
        var metadata = ObjectMeta.Metadata(body);
        if (type.Namespaced)
        {
            var bodyNamespace = ObjectMeta.GetString(metadata, "namespace");
            if (!string.IsNullOrEmpty(bodyNamespace) && bodyNamespace != @namespace)
            {
                throw ApiStatusException.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
            }

            metadata["namespace"] = @namespace;
        }
        else
        {
            metadata.Remove("namespace");
        }

        if (!string.IsNullOrEmpty(ObjectMeta.GetString(metadata, "resourceVersion")))
        {
            throw new ApiStatusException(500, "InternalError", "resourceVersion should not be set on objects to be created");
        }

        var generateName = ObjectMeta.GetString(metadata, "generateName");
        var nameGenerated = string.IsNullOrEmpty(ObjectMeta.GetString(metadata, "name")) && !string.IsNullOrEmpty(generateName);
        if (nameGenerated)
        {
            // names.SimpleNameGenerator: the prefix cut to 58 characters, then five random ones.
            metadata["name"] = (generateName!.Length > MaxGeneratedNamePrefix ? generateName[..MaxGeneratedNamePrefix] : generateName) + ObjectMeta.RandomSuffix();
        }

        var name = ObjectMeta.GetString(metadata, "name") ?? "";
        var now = time.GetUtcNow();
        metadata["uid"] = Guid.NewGuid().ToString();
        metadata["creationTimestamp"] = ObjectMeta.Timestamp(now);
        metadata.Remove("deletionTimestamp");
        metadata.Remove("deletionGracePeriodSeconds");

        if (type.TracksGeneration)
        {
            metadata["generation"] = 1;
        }
        else
        {
            metadata.Remove("generation");
        }

        BuiltinRules.PrepareForCreate(type, body);

        // Mutating admission after defaulting and before the strategy's validation (handlers/create.go runs admit,
        // then the store's BeforeCreate validates, then validating admission), then the pod's derived status again.
        // NamespaceLifecycle, the chain's first plugin, answers for a missing or terminating namespace first.
        if (type.Namespaced)
        {
            CheckNamespaceAcceptsContent(@namespace!);
        }

        var admissionRequest = new AdmissionRequest(type, @namespace ?? "", body, context.DryRun) { NameGenerated = nameGenerated };
        _admission.Admit(admissionRequest);
        BuiltinValidation.ValidateCreate(type, body);
        if (type == registry.Pods)
        {
            PodValidation.ValidatePodCreate(body).ThrowIfInvalid(type, name);
        }

        if (type == registry.CustomResourceDefinitions)
        {
            PrepareCrd(body);
        }
        if (type == registry.Pods && body["status"] is JsonObject podStatus)
        {
            podStatus["qosClass"] = BuiltinRules.QosClass(body);
        }

        StoredObject stored;
        lock (store.SyncRoot)
        {
            if (type.Namespaced)
            {
                CheckNamespaceAcceptsContent(@namespace!);
            }

            // Validating admission under the lock: a quota check and the write it allows are one step.
            _admission.Validate(admissionRequest);
            if (store.Get(type.StorageKey, @namespace ?? "", name) is not null)
            {
                throw ApiStatusException.AlreadyExists(type, name);
            }

            if (context.DryRun)
            {
                return new StoredObject(body, ObjectMeta.Serialize(body), store.CurrentResourceVersion);
            }

            stored = store.Put(type.StorageKey, body, null);
            if (type == registry.CustomResourceDefinitions)
            {
                registry.RegisterCrd(stored.Object);
            }
        }

        if (type == registry.Namespaces)
        {
            EnsureDefaultServiceAccount(name);
        }

        return stored;
    }

    /// <summary>
    /// What the serviceaccounts controller does for each new namespace: creates its <c>default</c> ServiceAccount
    /// (here at once, so a pod created right after its namespace finds it).
    /// </summary>
    private static AdmissionChain StartAdmission(ResourceRegistry registry, ObjectStore store, EmulatorOptions options, TimeProvider time)
    {
        var chain = new AdmissionChain(registry, store, options, time);
        // The quota controller's part: quota status follows the pods and objects it counts.
        store.Committed += chain.Quota.OnCommitted;
        return chain;
    }

    private void EnsureDefaultServiceAccount(string @namespace)
    {
        try
        {
            Create(registry.Find("", "v1", "serviceaccounts")!, @namespace, ServiceAccountAdmission.DefaultServiceAccount(@namespace),
                new WriteContext("kube-controller-manager", DryRun: false));
        }
        catch (ApiStatusException e) when (e.Code is 409 or 403 or 404)
        {
            // Already there, or the namespace is already going away.
        }
    }

    /// <summary>PUT of the main resource or of a subresource (<c>status</c>).</summary>
    public StoredObject Update(ResourceType type, string? @namespace, string name, JsonObject body, string? subresource, WriteContext context)
    {
        CheckTypeMeta(type, body);
        var metadata = ObjectMeta.Metadata(body);
        var bodyName = ObjectMeta.GetString(metadata, "name");
        if (bodyName != name)
        {
            throw ApiStatusException.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({name})");
        }

        if (type.Namespaced && ObjectMeta.GetString(metadata, "namespace") is { Length: > 0 } bodyNamespace && bodyNamespace != @namespace)
        {
            throw ApiStatusException.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }

        lock (store.SyncRoot)
        {
            var current = store.Get(type.StorageKey, @namespace ?? "", name) ?? throw ApiStatusException.NotFound(type, name);
            var requested = ObjectMeta.GetString(metadata, "resourceVersion");
            if (string.IsNullOrEmpty(requested))
            {
                if (!type.AllowUnconditionalUpdate)
                {
                    throw ApiStatusException.Invalid(type, name, ("metadata.resourceVersion", "FieldValueInvalid",
                        "Invalid value: 0: must be specified for an update"));
                }
            }
            else if (requested != current.ResourceVersion.ToString(CultureInfo.InvariantCulture))
            {
                throw ApiStatusException.StaleResourceVersion(type, name);
            }

            return Commit(type, current, body, subresource, context);
        }
    }

    /// <summary>
    /// Turns a requested new state into the stored next version: keeps system metadata, applies the status split,
    /// bumps generation, refuses new finalizers on a deleting object, and removes the object when its last finalizer
    /// goes. Caller holds the lock.
    /// </summary>
    public StoredObject Commit(ResourceType type, StoredObject current, JsonObject requested, string? subresource, WriteContext context)
    {
        JsonObject next;
        if (subresource == "status")
        {
            next = current.CloneObject();
            if (requested["status"] is { } status)
            {
                next["status"] = status.DeepClone();
            }
            else
            {
                next.Remove("status");
            }

            if (type.IsCustom)
            {
                StructuralSchema.PruneAndDefault(next, type.Schema);
            }
        }
        else
        {
            next = requested;
            var metadata = ObjectMeta.Metadata(next);
            var old = current.Metadata;
            // rest.BeforeUpdate: generation and creationTimestamp always come from the stored object, uid when
            // none is sent, deletionTimestamp and its grace period once set; what else differs is refused below.
            foreach (var field in new[] { "creationTimestamp", "generation" })
            {
                if (old[field] is { } value)
                {
                    metadata[field] = value.DeepClone();
                }
                else
                {
                    metadata.Remove(field);
                }
            }

            foreach (var field in new[] { "uid", "namespace", "name" })
            {
                if (string.IsNullOrEmpty(ObjectMeta.GetString(metadata, field)) && old[field] is { } value)
                {
                    metadata[field] = value.DeepClone();
                }
            }

            foreach (var field in new[] { "deletionTimestamp", "deletionGracePeriodSeconds" })
            {
                if (old[field] is { } value)
                {
                    metadata[field] = value.DeepClone();
                }
            }

            if (metadata["generateName"] is null && old["generateName"] is { } generateName)
            {
                metadata["generateName"] = generateName.DeepClone();
            }

            if (type.SplitsStatus)
            {
                if (current.Object["status"] is { } oldStatus)
                {
                    next["status"] = oldStatus.DeepClone();
                }
                else
                {
                    next.Remove("status");
                }
            }

            BuiltinRules.PrepareForUpdate(type, next, current);

            // An unconditional update takes the stored resourceVersion before validation (genericregistry.Store.Update).
            metadata["resourceVersion"] = current.Metadata["resourceVersion"]!.DeepClone();
            BuiltinValidation.ValidateUpdate(type, next, current.Object);
            if (type.TracksGeneration && !ObjectMeta.EqualExcept(next, current.Object, "metadata", type.SplitsStatus ? "status" : "metadata"))
            {
                metadata["generation"] = (ObjectMeta.GetLong(old, "generation") ?? 0) + 1;
            }
        }

        // managedFields are not tracked: they stay as a client last wrote them (none unless a client sent some).
        var managedFields = requested["metadata"]?["managedFields"] ?? current.Metadata["managedFields"];
        if (managedFields is null)
        {
            ObjectMeta.Metadata(next).Remove("managedFields");
        }
        else
        {
            ObjectMeta.Metadata(next)["managedFields"] = managedFields.DeepClone();
        }

        ObjectMeta.Metadata(next)["resourceVersion"] = current.Metadata["resourceVersion"]!.DeepClone();
        if (ObjectMeta.EqualExcept(next, current.Object, "metadata") && ObjectMeta.EqualExcept(ObjectMeta.Metadata(next), current.Metadata, "managedFields"))
        {
            // Kubernetes does not write an unchanged object: same resourceVersion, no watch event.
            return current;
        }

        if (context.DryRun)
        {
            return new StoredObject(next, ObjectMeta.Serialize(next), current.ResourceVersion);
        }

        if (ObjectMeta.Metadata(next)["deletionTimestamp"] is not null && ObjectMeta.Finalizers(ObjectMeta.Metadata(next)).Count == 0
            && !(type == registry.Namespaces && current.IsDeleting))
        {
            // As the API server does, the update that empties the finalizers deletes the object instead of storing
            // it: watchers see one DELETED event carrying the last stored state.
            return Remove(type, current);
        }

        var stored = store.Put(type.StorageKey, next, current);
        if (type == registry.CustomResourceDefinitions && !stored.IsDeleting)
        {
            // An updated CRD (new version, subresource, schema) takes effect at once.
            registry.RegisterCrd(stored.Object);
        }

        return stored;
    }

    public DeleteResult Delete(ResourceType type, string? @namespace, string name, DeleteRequest request, WriteContext context)
    {
        lock (store.SyncRoot)
        {
            var current = store.Get(type.StorageKey, @namespace ?? "", name) ?? throw ApiStatusException.NotFound(type, name);
            if (request.PreconditionUid is { } uid && uid != current.Uid)
            {
                throw PreconditionFailed(type, name,
                    $"the UID in the precondition ({uid}) does not match the UID in record ({current.Uid}). The object might have been deleted and then recreated");
            }

            if (request.PreconditionResourceVersion is { } rv && rv != current.ResourceVersion.ToString(CultureInfo.InvariantCulture))
            {
                throw PreconditionFailed(type, name,
                    $"the ResourceVersion in the precondition ({rv}) does not match the ResourceVersion in record ({current.ResourceVersion}). The object might have been modified");
            }

            if (context.DryRun)
            {
                return new DeleteResult(current, false);
            }

            if (type == registry.Namespaces)
            {
                return new DeleteResult(MarkNamespaceTerminating(current), false);
            }

            var next = current.CloneObject();
            var metadata = ObjectMeta.Metadata(next);
            var finalizers = ObjectMeta.Finalizers(metadata);
            var policy = request.PropagationPolicy ?? "Background";
            if (policy == "Foreground")
            {
                // No product path deletes in the foreground: refused rather than treated as Background.
                throw ApiStatusException.BadRequest("propagationPolicy Foreground is not emulated (see tests/CodeExec.Testing/Emulator/README.md); use Background or Orphan");
            }
            else if (policy == "Orphan" && !finalizers.Contains(OrphanFinalizer))
            {
                finalizers.Add(OrphanFinalizer);
            }
            else if (policy is not ("Orphan" or "Background"))
            {
                throw ApiStatusException.Invalid(type, name, ("propagationPolicy", "FieldValueNotSupported",
                    $"Unsupported value: \"{policy}\": supported values: \"Foreground\", \"Background\", \"Orphan\""));
            }

            if (GracefulPodDeletion(type, current, request) is { } grace)
            {
                var deadline = time.GetUtcNow().AddSeconds(grace);
                if (current.IsDeleting && ObjectMeta.GetLong(current.Metadata, "deletionGracePeriodSeconds") <= grace)
                {
                    return new DeleteResult(current, false);
                }

                metadata["deletionTimestamp"] = ObjectMeta.Timestamp(deadline);
                metadata["deletionGracePeriodSeconds"] = grace;
                ObjectMeta.SetFinalizers(metadata, finalizers);
                BumpGenerationOnDelete(type, current, metadata);
                return new DeleteResult(store.Put(type.StorageKey, next, current), false);
            }

            if (finalizers.Count > 0)
            {
                if (current.IsDeleting && finalizers.Count == ObjectMeta.Finalizers(current.Metadata).Count)
                {
                    return new DeleteResult(current, false);
                }

                ObjectMeta.SetFinalizers(metadata, finalizers);
                if (!current.IsDeleting)
                {
                    metadata["deletionTimestamp"] = ObjectMeta.Timestamp(time.GetUtcNow());
                    metadata["deletionGracePeriodSeconds"] = 0;
                    BumpGenerationOnDelete(type, current, metadata);
                }

                return new DeleteResult(store.Put(type.StorageKey, next, current), false);
            }

            return new DeleteResult(Remove(type, current), true);
        }
    }

    /// <summary>Removes an object for good (no finalizers left). Caller holds the lock.</summary>
    public StoredObject Remove(ResourceType type, StoredObject current)
    {
        var removed = store.Remove(type.StorageKey, current);
        if (type == registry.Pods)
        {
            logs.Remove(current.Namespace, current.Name);
        }
        else if (type == registry.CustomResourceDefinitions)
        {
            registry.UnregisterCrd(current.Name);
        }

        return removed;
    }

    /// <summary>Ends a namespace's termination: every object in it is gone, so it is removed. Caller holds the lock.</summary>
    public void FinishNamespace(StoredObject current) => Remove(registry.Namespaces, current);

    private StoredObject MarkNamespaceTerminating(StoredObject current)
    {
        if (current.IsDeleting)
        {
            return current;
        }

        var next = current.CloneObject();
        ObjectMeta.Metadata(next)["deletionTimestamp"] = ObjectMeta.Timestamp(time.GetUtcNow());
        next["status"] = new JsonObject { ["phase"] = "Terminating" };
        return store.Put(registry.Namespaces.StorageKey, next, current);
    }

    private long? GracefulPodDeletion(ResourceType type, StoredObject pod, DeleteRequest request)
    {
        if (type != registry.Pods || !options.GracefulPodDeletion || request.GracePeriodSeconds == 0)
        {
            return null;
        }

        var phase = ObjectMeta.GetString(pod.Object["status"] as JsonObject, "phase");
        if (string.IsNullOrEmpty(ObjectMeta.GetString(pod.Object["spec"] as JsonObject, "nodeName")) || phase is "Succeeded" or "Failed")
        {
            return null;
        }

        var grace = request.GracePeriodSeconds ?? ObjectMeta.GetLong(pod.Object["spec"] as JsonObject, "terminationGracePeriodSeconds") ?? 30;
        return grace <= 0 ? null : grace;
    }

    /// <summary>A failed delete precondition: 409 Conflict naming the Kind (not the resource), as the API server words it.</summary>
    private static ApiStatusException PreconditionFailed(ResourceType type, string name, string why)
    {
        var kind = type.Group.Length == 0 ? type.Kind : type.Kind + "." + type.Group;
        var details = new JsonObject { ["name"] = name };
        if (type.Group.Length > 0)
        {
            details["group"] = type.Group;
        }

        details["kind"] = type.Kind;
        return new ApiStatusException(409, "Conflict", $"Operation cannot be fulfilled on {kind} \"{name}\": {why}", details);
    }

    private static void BumpGenerationOnDelete(ResourceType type, StoredObject current, JsonObject metadata)
    {
        if (type.TracksGeneration && !current.IsDeleting)
        {
            metadata["generation"] = (ObjectMeta.GetLong(current.Metadata, "generation") ?? 0) + 1;
        }
    }

    private void CheckNamespaceAcceptsContent(string @namespace)
    {
        var ns = store.Get(registry.Namespaces.StorageKey, "", @namespace)
            ?? throw ApiStatusException.NotFound(registry.Namespaces, @namespace);
        if (ns.IsDeleting)
        {
            throw new ApiStatusException(403, "Forbidden",
                $"unable to create new content in namespace {@namespace} because it is being terminated",
                new JsonObject { ["name"] = @namespace, ["kind"] = "namespaces" });
        }
    }

    private static void CheckTypeMeta(ResourceType type, JsonObject body)
    {
        var apiVersion = ObjectMeta.GetString(body, "apiVersion");
        var kind = ObjectMeta.GetString(body, "kind");
        if (!string.IsNullOrEmpty(apiVersion) && apiVersion != type.ApiVersion)
        {
            throw ApiStatusException.BadRequest($"the API version in the data ({apiVersion}) does not match the expected API version ({type.ApiVersion})");
        }

        if (!string.IsNullOrEmpty(kind) && kind != type.Kind)
        {
            throw ApiStatusException.BadRequest($"the kind in the data ({kind}) does not match the expected kind ({type.Kind})");
        }

        body["apiVersion"] = type.ApiVersion;
        body["kind"] = type.Kind;
    }

    private static void PrepareCrd(JsonObject crd)
    {
        var spec = crd["spec"] as JsonObject;
        var names = spec?["names"]?.DeepClone() as JsonObject ?? [];
        if (names["singular"] is null && ObjectMeta.GetString(names, "kind") is { } kind)
        {
            names["singular"] = kind.ToLowerInvariant();
        }

        names["listKind"] ??= ObjectMeta.GetString(names, "kind") + "List";
        var storedVersions = new JsonArray();
        foreach (var version in (spec?["versions"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (version["storage"]?.GetValue<bool>() == true)
            {
                storedVersions.Add(version["name"]!.DeepClone());
            }
        }

        crd["status"] = new JsonObject
        {
            ["acceptedNames"] = names,
            ["conditions"] = new JsonArray(
                new JsonObject { ["type"] = "NamesAccepted", ["status"] = "True", ["reason"] = "NoConflicts", ["message"] = "no conflicts found" },
                new JsonObject { ["type"] = "Established", ["status"] = "True", ["reason"] = "InitialNamesAccepted", ["message"] = "the initial names have been accepted" }),
            ["storedVersions"] = storedVersions,
        };
    }
}
