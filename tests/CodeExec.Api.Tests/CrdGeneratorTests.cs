using System.Text.RegularExpressions;
using System.Xml.Linq;
using CodeExec.Api;
using CodeExec.CrdGen;
using k8s;
using k8s.Models;

namespace CodeExec.Api.Tests;

/// <summary>What the generator puts into the CRDs, and that it refuses undocumented fields.</summary>
public sealed class CrdGeneratorTests
{
    private static V1CustomResourceDefinition Load(string plural) =>
        KubernetesYaml.Deserialize<V1CustomResourceDefinition>(
            CrdGenerator.Generate().Single(c => c.FileName == $"codeexec.dev_{plural}.yaml").Yaml);

    // The model types items as object (schema or list of schemas); after YAML decoding it is a plain map.
    private static V1JSONSchemaProps? ItemsOf(V1JSONSchemaProps schema) =>
        schema.Items is null ? null : KubernetesJson.Deserialize<V1JSONSchemaProps>(KubernetesJson.Serialize(schema.Items));

    [Fact]
    public void CodeExecution_crd_has_names_scope_status_and_printer_columns()
    {
        var crd = Load("codeexecutions");
        Assert.Equal("Namespaced", crd.Spec.Scope);
        Assert.Equal(["cx"], crd.Spec.Names.ShortNames);
        Assert.Equal(["codeexec"], crd.Spec.Names.Categories);
        // A short name equal to a category is never reached: kubectl expands the category first.
        Assert.DoesNotContain(ApiConstants.Category, crd.Spec.Names.ShortNames);
        var version = Assert.Single(crd.Spec.Versions);
        Assert.NotNull(version.Subresources?.Status);
        Assert.Equal(
            ["Runtime:.spec.runtime", "Phase:.status.phase", "Exit:.status.exitCode", "Duration:.status.duration", "Age:.metadata.creationTimestamp"],
            version.AdditionalPrinterColumns.Select(c => $"{c.Name}:{c.JsonPath}"));
    }

    [Fact]
    public void CodeRuntime_crd_is_cluster_scoped()
    {
        var crd = Load("coderuntimes");
        Assert.Equal("Cluster", crd.Spec.Scope);
        Assert.Equal("CodeRuntime", crd.Spec.Names.Kind);
    }

    [Fact]
    public void Schema_carries_docs_bounds_quantities_and_cel()
    {
        var spec = Load("codeexecutions").Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"];
        Assert.StartsWith("What to run", spec.Description, StringComparison.Ordinal);
        Assert.Equal(ApiConstants.MaxInlineCodeBytes, spec.Properties["code"].MaxLength);
        Assert.Contains(spec.XKubernetesValidations, r => r.Rule == "self == oldSelf");
        var cpu = spec.Properties["limits"].Properties["cpu"];
        Assert.True(cpu.XKubernetesIntOrString);
        Assert.Equal(ApiConstants.QuantityPattern, cpu.Pattern);
        Assert.Contains("isQuantity", cpu.XKubernetesValidations.Single().Rule, StringComparison.Ordinal);
        Assert.Equal("map", spec.Properties["env"].XKubernetesListType);
        Assert.Equal("None", spec.Properties["network"].Properties["mode"].DefaultProperty?.ToString());
        var status = Load("codeexecutions").Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["status"];
        Assert.Equal("date-time", status.Properties["startTime"].Format);
        Assert.Contains("lastTransitionTime", ItemsOf(status.Properties["conditions"])!.Required);
    }

    [Fact]
    public void Every_schema_property_has_a_description()
    {
        foreach (var crd in CrdGenerator.Generate())
        {
            var schema = KubernetesYaml.Deserialize<V1CustomResourceDefinition>(crd.Yaml).Spec.Versions[0].Schema.OpenAPIV3Schema;
            AssertDescribed(schema, crd.FileName);
        }

        static void AssertDescribed(V1JSONSchemaProps schema, string path)
        {
            foreach (var (name, property) in schema.Properties ?? new Dictionary<string, V1JSONSchemaProps>())
            {
                if (name != "metadata")
                {
                    Assert.False(string.IsNullOrWhiteSpace(property.Description), $"{path}.{name} has no description");
                }

                AssertDescribed(property, $"{path}.{name}");
                if (ItemsOf(property) is { } items)
                {
                    AssertDescribed(items, $"{path}.{name}[]");
                }
            }
        }
    }

    [Fact]
    public void A_field_without_a_doc_comment_fails_generation_and_is_named()
    {
        var xml = File.ReadAllText(Path.ChangeExtension(typeof(CodeExecution).Assembly.Location, ".xml"));
        var document = XDocument.Parse(xml);
        document.Descendants("member").Single(m => (string?)m.Attribute("name") == "P:CodeExec.Api.ExecutionLimits.Processes").Remove();

        var error = Assert.Throws<SchemaGenerationException>(() => CrdGenerator.Generate(XmlDocumentation.Parse(document.ToString())));

        Assert.Contains("CodeExecution.spec.limits.processes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_undocumented_field_is_named()
    {
        var xml = XDocument.Parse(File.ReadAllText(Path.ChangeExtension(typeof(CodeExecution).Assembly.Location, ".xml")));
        xml.Descendants("member").Where(m => ((string?)m.Attribute("name"))?.StartsWith("P:CodeExec.Api.EnvVar.", StringComparison.Ordinal) == true)
            .Remove();

        var error = Assert.Throws<SchemaGenerationException>(() => CrdGenerator.Generate(XmlDocumentation.Parse(xml.ToString())));

        Assert.Matches(new Regex(@"spec\.env\[\]\.name.*spec\.env\[\]\.value"), error.Message);
    }
}
