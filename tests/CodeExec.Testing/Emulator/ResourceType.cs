using System.Text.Json.Nodes;

namespace CodeExec.Testing.Emulator;

/// <summary>
/// One served resource (group, version, plural) and the registry strategy the API server applies to it: its scope,
/// whether it has a status subresource, whether <c>metadata.generation</c> is tracked, what DELETE returns and
/// which field selectors it supports. Custom resources carry their CRD's structural schema.
/// </summary>
internal sealed record ResourceType(
    string Group,
    string Version,
    string Plural,
    string Kind,
    string Singular,
    bool Namespaced,
    bool HasStatus,
    bool TracksGeneration,
    bool ReturnsDeletedObject,
    bool AllowUnconditionalUpdate,
    bool IsCustom,
    IReadOnlyList<string> ShortNames,
    IReadOnlyList<string> Categories,
    IReadOnlySet<string> SelectableFields,
    JsonObject? Schema = null)
{
    /// <summary>apiVersion of objects served at this version.</summary>
    public string ApiVersion => Group.Length == 0 ? Version : Group + "/" + Version;

    /// <summary>The name errors use: <c>pods</c>, <c>codeexecutions.codeexec.dev</c>.</summary>
    public string QualifiedName => Group.Length == 0 ? Plural : Plural + "." + Group;

    /// <summary>Storage identity shared by every served version of a resource.</summary>
    public string StorageKey => Group + "/" + Plural;

    public string ListKind => Kind + "List";

    /// <summary>True when status changes are ignored on the main resource and spec changes on <c>/status</c>.</summary>
    public bool SplitsStatus => HasStatus;
}
