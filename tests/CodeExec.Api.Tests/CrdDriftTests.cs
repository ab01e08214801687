using CodeExec.CrdGen;
using CodeExec.Testing.RealApiServer;

namespace CodeExec.Api.Tests;

/// <summary>The committed crds/*.yaml must be exactly what the generator makes from the C# types.</summary>
public sealed class CrdDriftTests
{
    private static readonly string CrdDirectory = Path.Combine(RepositoryRoot.Find(), "crds");

    /// <summary>The drift check itself: null when equal, else a message naming the file, the fix and the line diff.</summary>
    internal static string? Drift(GeneratedCrd generated, string committed)
    {
        var diff = LineDiff.Compare(committed.ReplaceLineEndings("\n"), generated.Yaml);
        return diff is null
            ? null
            : $"crds/{generated.FileName} differs from what src/CodeExec.CrdGen generates from src/CodeExec.Api: run `make crds`"
              + " and commit the result.\n(- committed, + generated)\n" + diff;
    }

    [Fact]
    public void Committed_crds_match_the_generator()
    {
        var problems = new List<string>();
        foreach (var crd in CrdGenerator.Generate())
        {
            var path = Path.Combine(CrdDirectory, crd.FileName);
            if (!File.Exists(path))
            {
                problems.Add($"crds/{crd.FileName} is missing: run `make crds`");
                continue;
            }

            if (Drift(crd, File.ReadAllText(path)) is { } drift)
            {
                problems.Add(drift);
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void A_hand_edited_crd_is_detected_with_the_changed_line()
    {
        var crd = CrdGenerator.Generate()[0];
        var edited = crd.Yaml.Replace("maxLength: 131072", "maxLength: 999999", StringComparison.Ordinal);
        Assert.NotEqual(crd.Yaml, edited);

        var drift = Drift(crd, edited);

        Assert.NotNull(drift);
        Assert.Contains("run `make crds`", drift, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^- \d{4} \|\s+maxLength: 999999$", drift);
        Assert.Matches(@"(?m)^\+ \d{4} \|\s+maxLength: 131072$", drift);
    }

    [Fact]
    public void An_unchanged_copy_is_not_drift()
    {
        var crd = CrdGenerator.Generate()[0];
        Assert.Null(Drift(crd, new string(crd.Yaml.AsSpan())));
    }

    [Fact]
    public void Generation_is_deterministic()
    {
        var first = CrdGenerator.Generate();
        var second = CrdGenerator.Generate();
        Assert.Equal(first.Select(c => c.Yaml), second.Select(c => c.Yaml));
    }

    [Fact]
    public void Crds_listed_in_the_kustomization_are_the_generated_files()
    {
        var kustomization = File.ReadAllText(Path.Combine(CrdDirectory, "kustomization.yaml"));
        foreach (var crd in CrdGenerator.Generate())
        {
            Assert.Contains("- " + crd.FileName, kustomization, StringComparison.Ordinal);
        }
    }
}
