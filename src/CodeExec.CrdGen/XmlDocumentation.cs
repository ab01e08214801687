using System.Reflection;
using System.Text;
using System.Xml.Linq;

namespace CodeExec.CrdGen;

/// <summary>Reads the summaries of a compiler-generated XML documentation file (the <c>GenerateDocumentationFile</c> output).</summary>
internal sealed class XmlDocumentation(IReadOnlyDictionary<string, string> summaries)
{
    /// <summary>Loads the XML documentation file that sits beside <paramref name="assembly"/>.</summary>
    public static XmlDocumentation ForAssembly(Assembly assembly)
    {
        var path = Path.ChangeExtension(assembly.Location, ".xml");
        if (!File.Exists(path))
        {
            throw new SchemaGenerationException(
                $"the XML documentation file {path} is missing: build {assembly.GetName().Name} with GenerateDocumentationFile");
        }

        return Parse(File.ReadAllText(path));
    }

    /// <summary>Parses the text of an XML documentation file.</summary>
    public static XmlDocumentation Parse(string xml)
    {
        var summaries = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var member in XDocument.Parse(xml).Descendants("member"))
        {
            var name = member.Attribute("name")?.Value;
            var summary = member.Element("summary");
            if (name is not null && summary is not null)
            {
                summaries[name] = Flatten(summary);
            }
        }

        return new XmlDocumentation(summaries);
    }

    /// <summary>The summary of a type, or null when it has none.</summary>
    public string? For(Type type) => summaries.GetValueOrDefault("T:" + type.FullName);

    /// <summary>The summary of a property, or null when it has none.</summary>
    public string? For(PropertyInfo property) =>
        summaries.GetValueOrDefault("P:" + property.DeclaringType!.FullName + "." + property.Name);

    // One line of plain text: <c>x</c> becomes x, <see cref="T:A.B"/> becomes B, runs of white space become one space.
    private static string Flatten(XElement element)
    {
        var text = new StringBuilder();
        foreach (var node in element.Nodes())
        {
            switch (node)
            {
                case XText t:
                    text.Append(t.Value);
                    break;
                case XElement { Name.LocalName: "see" or "seealso" } see:
                    var target = see.Attribute("cref")?.Value ?? see.Attribute("langword")?.Value ?? see.Value;
                    text.Append(target[(target.LastIndexOf('.') + 1)..]);
                    break;
                case XElement e:
                    text.Append(Flatten(e));
                    break;
            }
        }

        return string.Join(' ', text.ToString().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
    }
}
