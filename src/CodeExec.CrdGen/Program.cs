// Writes the CRD YAML of the codeexec.dev API, generated from the C# types, into a folder (default: crds).
//   dotnet run --project src/CodeExec.CrdGen -- crds
using CodeExec.CrdGen;

var outputDirectory = args.Length > 0 ? args[0] : "crds";
try
{
    var crds = CrdGenerator.Generate();
    Directory.CreateDirectory(outputDirectory);
    foreach (var crd in crds)
    {
        var path = Path.Combine(outputDirectory, crd.FileName);
        await File.WriteAllTextAsync(path, crd.Yaml);
        Console.WriteLine($"wrote {path}");
    }

    return 0;
}
catch (SchemaGenerationException e)
{
    await Console.Error.WriteLineAsync("crdgen: " + e.Message);
    return 1;
}
