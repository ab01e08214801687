using k8s.Models;

namespace CodeExec.CrdGen;

/// <summary>Schemas of Kubernetes types that the API types embed, written out as the API server expects them.</summary>
internal static class StandardSchemas
{
    /// <summary>The schema of metav1.Condition, the standard shape of <c>status.conditions</c> items.</summary>
    public static V1JSONSchemaProps Condition() => new()
    {
        Type = "object",
        Description = "One aspect of the object's current state, in the standard Kubernetes condition shape.",
        Required = ["lastTransitionTime", "message", "reason", "status", "type"],
        Properties = new Dictionary<string, V1JSONSchemaProps>
        {
            ["lastTransitionTime"] = new()
            {
                Type = "string",
                Format = "date-time",
                Description = "When the condition last changed from one status to another.",
            },
            ["message"] = new()
            {
                Type = "string",
                MaxLength = 32768,
                Description = "A sentence for people with details about the last transition. May be empty.",
            },
            ["observedGeneration"] = new()
            {
                Type = "integer",
                Format = "int64",
                Minimum = 0,
                Description = "The metadata.generation the condition was set for.",
            },
            ["reason"] = new()
            {
                Type = "string",
                MinLength = 1,
                MaxLength = 1024,
                Pattern = "^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$",
                Description = "Why the condition last changed, as one CamelCase word for programs.",
            },
            ["status"] = new()
            {
                Type = "string",
                EnumProperty = ["True", "False", "Unknown"],
                Description = "Status of the condition: True, False or Unknown.",
            },
            ["type"] = new()
            {
                Type = "string",
                MaxLength = 316,
                Pattern = @"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$",
                Description = "Type of the condition in CamelCase, such as Admitted or Finished.",
            },
        },
    };
}
