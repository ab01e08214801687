using System.Reflection;
using System.Text.RegularExpressions;
using CodeExec.Operator.Tests.Security;
using Xunit;

namespace CodeExec.Operator.Tests.Deploy;

/// <summary>
/// Keeps docs/security.md honest: every test it cites (<c>`SomeTests.Method_name`</c> or <c>`SomeTests`</c>) exists in
/// the test tree, and every attack of <see cref="AttackSuiteTests"/> is cited there.
/// </summary>
public sealed partial class SecurityDocTests
{
    private static readonly string Doc = File.ReadAllText(RepositoryFiles.PathOf("docs", "security.md"));

    [Fact]
    public void Every_test_the_security_doc_cites_exists_in_the_test_tree()
    {
        var sources = Directory.EnumerateFiles(RepositoryFiles.PathOf("tests"), "*.cs", SearchOption.AllDirectories)
            .Where(path => !path.Contains("/bin/", StringComparison.Ordinal) && !path.Contains("/obj/", StringComparison.Ordinal))
            .Select(File.ReadAllText)
            .ToList();
        var cited = Citation().Matches(Doc).Select(m => (Class: m.Groups[1].Value, Method: m.Groups[2].Success ? m.Groups[2].Value : null)).Distinct().ToList();

        Assert.True(cited.Count(c => c.Method is not null) >= 80, $"only {cited.Count} test citations found: is the `Class.Method` form still used?");
        var missing = cited.Where(c => !Exists(sources, c.Class, c.Method)).Select(c => c.Method is null ? c.Class : c.Class + "." + c.Method).ToList();
        Assert.True(missing.Count == 0, "docs/security.md cites tests that do not exist: " + string.Join(", ", missing));
    }

    [Fact]
    public void Every_attack_of_the_suite_is_cited_in_the_security_doc()
    {
        var attacks = typeof(AttackSuiteTests).GetMethods(BindingFlags.Public | BindingFlags.Instance)
            .Where(m => m.GetCustomAttribute<FactAttribute>() is not null)
            .Select(m => m.Name)
            .ToList();

        Assert.NotEmpty(attacks);
        Assert.All(attacks, name => Assert.Contains("`" + nameof(AttackSuiteTests) + "." + name + "`", Doc, StringComparison.Ordinal));
    }

    /// <summary>True when a file declares <paramref name="className"/> with <paramref name="method"/>, or its base class does.</summary>
    private static bool Exists(List<string> sources, string className, string? method)
    {
        for (var depth = 0; depth < 4; depth++)
        {
            var declaration = new Regex(@"\bclass\s+" + className + @"\b[^{;]*", RegexOptions.None, TimeSpan.FromSeconds(1));
            var files = sources.Where(text => declaration.IsMatch(text)).ToList();
            if (files.Count == 0)
            {
                return false;
            }

            if (method is null || files.Any(text => Regex.IsMatch(text, @"\b" + method + @"\s*\(", RegexOptions.None, TimeSpan.FromSeconds(1))))
            {
                return true;
            }

            var baseClass = files.Select(text => BaseClass().Match(declaration.Match(text).Value)).FirstOrDefault(m => m.Success);
            if (baseClass is null)
            {
                return false;
            }

            className = baseClass.Groups[1].Value;
        }

        return false;
    }

    [GeneratedRegex(@"`([A-Z][A-Za-z0-9]*Tests)(?:\.([A-Za-z_][A-Za-z0-9_]*))?`")]
    private static partial Regex Citation();

    [GeneratedRegex(@":\s*([A-Z][A-Za-z0-9_]*)")]
    private static partial Regex BaseClass();
}
