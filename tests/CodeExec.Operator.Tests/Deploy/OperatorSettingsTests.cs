using System.Reflection;
using k8s.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Console;
using Xunit;

namespace CodeExec.Operator.Tests.Deploy;

/// <summary>
/// The Deployment configures the operator through environment variables (.NET configuration keys Section__Key__...).
/// A misspelt key is silently ignored by the configuration binder, so each key must name a real option property.
/// </summary>
public sealed class OperatorSettingsTests
{
    /// <summary>Configuration sections and the options types bound from them, by full name (bound by the host).</summary>
    private static readonly Dictionary<string, string> SectionTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Operator"] = "CodeExec.Operator.Hosting.OperatorOptions",
        ["Sandbox"] = "CodeExec.Operator.Sandbox.SandboxOptions",
        // Bound by the CodeExecution controller's registration from Operator:Executions, not through OperatorOptions.
        ["Operator__Executions"] = "CodeExec.Operator.Reconciliation.ExecutionOptions",
    };

    [Fact]
    public void Every_setting_the_deployment_passes_names_a_real_option_property()
    {
        var deployment = Kustomize.Build("config/manager").Single<V1Deployment>("codeexec-operator");
        var operatorAssembly = Assembly.Load("codeexec-operator");
        var missingTypes = SectionTypes.Values.Where(name => operatorAssembly.GetType(name) is null).ToList();
        if (missingTypes.Count > 0)
        {
            Assert.Skip($"options types not in this build yet: {string.Join(", ", missingTypes)}");
        }

        var settings = (OperatorDeploymentChecks.Manager(deployment).Env ?? [])
            .Select(e => e.Name)
            .Where(name => name.Contains("__", StringComparison.Ordinal))
            .ToList();

        Assert.NotEmpty(settings);
        var unknown = settings.Where(name => !Binds(operatorAssembly, name)).ToList();
        Assert.True(unknown.Count == 0, "settings that bind to no option property: " + string.Join(", ", unknown));
    }

    private static bool Binds(Assembly assembly, string environmentName)
    {
        var path = environmentName.Split("__");
        Type? type;
        int sectionParts;
        if (path is ["Logging", "Console", ..])
        {
            // .NET's console logger options (Logging:Console:FormatterName picks simple or json).
            type = typeof(ConsoleLoggerOptions);
            sectionParts = 2;
        }
        else
        {
            sectionParts = path.Length > 2 && SectionTypes.ContainsKey(path[0] + "__" + path[1]) ? 2 : 1;
            if (!SectionTypes.TryGetValue(string.Join("__", path.Take(sectionParts)), out var typeName)) return false;
            type = assembly.GetType(typeName);
        }

        foreach (var part in path.Skip(sectionParts))
        {
            var property = type?.GetProperty(part, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property is null || !property.CanWrite) return false;
            type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        }

        return true;
    }

    [Fact]
    public void Sandbox_settings_the_deployment_passes_bind_and_pass_the_operators_own_validation()
    {
        var deployment = Kustomize.Build("config/manager").Single<V1Deployment>("codeexec-operator");
        var optionsType = Assembly.Load("codeexec-operator").GetType(SectionTypes["Sandbox"]);
        var validate = optionsType?.GetMethod("Validate", BindingFlags.Public | BindingFlags.Instance, Type.EmptyTypes);
        if (optionsType is null || validate is null)
        {
            Assert.Skip($"{SectionTypes["Sandbox"]}.Validate() not in this build yet");
        }

        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection((OperatorDeploymentChecks.Manager(deployment).Env ?? [])
                .Where(e => e.Value is not null && e.Name.Contains("__", StringComparison.Ordinal))
                .Select(e => KeyValuePair.Create(e.Name.Replace("__", ":", StringComparison.Ordinal), (string?)e.Value)))
            .Build();
        var options = Activator.CreateInstance(optionsType, nonPublic: true)!;

        configuration.GetSection("Sandbox").Bind(options, binder => binder.ErrorOnUnknownConfiguration = true);

        var errors = (IEnumerable<string>)validate.Invoke(options, null)!;
        Assert.Empty(errors);
        Assert.Equal("codeexec-sandbox", optionsType.GetProperty("PriorityClassName")!.GetValue(options));
        Assert.Equal(TimeSpan.FromMinutes(5), optionsType.GetProperty("StartDeadline")!.GetValue(options));
    }
}
