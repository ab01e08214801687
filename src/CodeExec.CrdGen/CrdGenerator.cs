using System.Text.RegularExpressions;
using CodeExec.Api;
using k8s;
using k8s.Models;

namespace CodeExec.CrdGen;

/// <summary>One generated CRD: the file it belongs in under <c>crds/</c> and its YAML text.</summary>
internal sealed record GeneratedCrd(string FileName, string Yaml);

/// <summary>
/// Builds the CustomResourceDefinitions of the codeexec.dev API from the C# types in CodeExec.Api. Pure: the same
/// types and doc file always give the same text.
/// </summary>
internal static partial class CrdGenerator
{
    /// <summary>The first lines of every generated file.</summary>
    public const string Header =
        "# Generated from src/CodeExec.Api by src/CodeExec.CrdGen: do not edit by hand, run `make crds`.\n";

    /// <summary>Generates both CRDs, reading descriptions from the XML doc file beside the CodeExec.Api assembly.</summary>
    public static IReadOnlyList<GeneratedCrd> Generate() =>
        Generate(XmlDocumentation.ForAssembly(typeof(CodeExecution).Assembly));

    /// <summary>Generates both CRDs with the given documentation.</summary>
    public static IReadOnlyList<GeneratedCrd> Generate(XmlDocumentation docs)
    {
        var schemas = new SchemaBuilder(docs);
        return
        [
            ToFile(CodeExecutionCrd(schemas.ForRoot(typeof(CodeExecution)))),
            ToFile(CodeRuntimeCrd(schemas.ForRoot(typeof(CodeRuntime)))),
        ];
    }

    /// <summary>The file name kubebuilder's convention gives a CRD: <c>group_plural.yaml</c>.</summary>
    public static string FileNameOf(V1CustomResourceDefinition crd) => $"{crd.Spec.Group}_{crd.Spec.Names.Plural}.yaml";

    private static GeneratedCrd ToFile(V1CustomResourceDefinition crd) =>
        new(FileNameOf(crd), Header + WholeNumberBounds().Replace(KubernetesYaml.Serialize(crd).ReplaceLineEndings("\n"), "$1"));

    // The schema model holds minimum/maximum as doubles, which serialize as 1024.0; every bound here is a whole number.
    [GeneratedRegex(@"^(\s*(?:minimum|maximum): -?[0-9]+)\.0$", RegexOptions.Multiline)]
    private static partial Regex WholeNumberBounds();

    private static V1CustomResourceDefinition CodeExecutionCrd(V1JSONSchemaProps schema) => Crd(
        ApiConstants.CodeExecutionKind, ApiConstants.CodeExecutionPlural, ApiConstants.CodeExecutionSingular, "Namespaced",
        // Not "codeexec": that is the category of both kinds, and kubectl expands a category before it looks for a short
        // name, so `kubectl get codeexec` lists CodeExecutions and CodeRuntimes (kubectl 1.33) and a name after it fails.
        shortNames: ["cx"], statusSubresource: true, schema,
        [
            Column("Runtime", "string", ".spec.runtime", "The CodeRuntime the code runs with."),
            Column("Phase", "string", ".status.phase", "Where the execution is."),
            Column("Exit", "integer", ".status.exitCode", "The code's exit code."),
            Column("Duration", "string", ".status.duration", "How long the code ran."),
            Column("Age", "date", ".metadata.creationTimestamp", "Time since the execution was created."),
        ]);

    private static V1CustomResourceDefinition CodeRuntimeCrd(V1JSONSchemaProps schema) => Crd(
        ApiConstants.CodeRuntimeKind, ApiConstants.CodeRuntimePlural, ApiConstants.CodeRuntimeSingular, "Cluster",
        shortNames: null, statusSubresource: false, schema,
        [
            Column("Image", "string", ".spec.image", "The container image code of this runtime runs in."),
            Column("RuntimeClass", "string", ".spec.runtimeClassName", "The sandbox RuntimeClass."),
            Column("Age", "date", ".metadata.creationTimestamp", "Time since the runtime was created."),
        ]);

    /// <summary>A CRD of the codeexec.dev group with one served and stored version.</summary>
    private static V1CustomResourceDefinition Crd(
        string kind, string plural, string singular, string scope, IList<string>? shortNames, bool statusSubresource,
        V1JSONSchemaProps schema, IList<V1CustomResourceColumnDefinition> columns) => new()
        {
            ApiVersion = "apiextensions.k8s.io/v1",
            Kind = "CustomResourceDefinition",
            Metadata = new V1ObjectMeta { Name = plural + "." + ApiConstants.Group },
            Spec = new V1CustomResourceDefinitionSpec
            {
                Group = ApiConstants.Group,
                Scope = scope,
                Names = new V1CustomResourceDefinitionNames
                {
                    Kind = kind,
                    ListKind = kind + "List",
                    Plural = plural,
                    Singular = singular,
                    ShortNames = shortNames,
                    Categories = [ApiConstants.Category],
                },
                Versions =
            [
                new V1CustomResourceDefinitionVersion
                {
                    Name = ApiConstants.Version,
                    Served = true,
                    Storage = true,
                    Subresources = statusSubresource ? new V1CustomResourceSubresources { Status = new object() } : null,
                    AdditionalPrinterColumns = columns,
                    Schema = new V1CustomResourceValidation { OpenAPIV3Schema = schema },
                },
            ],
            },
        };

    private static V1CustomResourceColumnDefinition Column(string name, string type, string jsonPath, string description) =>
        new() { Name = name, Type = type, JsonPath = jsonPath, Description = description };
}
