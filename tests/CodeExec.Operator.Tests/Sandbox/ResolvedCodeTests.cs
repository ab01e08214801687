using System.Text;
using CodeExec.Api;
using CodeExec.Operator.Sandbox;
using k8s.Models;
using Xunit;

namespace CodeExec.Operator.Tests.Sandbox;

public sealed class ResolvedCodeTests
{
    private const string Uniform =
        "the Secret src cannot be read as code: spec.codeFrom.secretKeyRef needs a Secret of type Opaque labelled codeexec.dev/code-source=true with a non-empty key main.py";

    private static CodeExecution FromSecret() => new()
    {
        Metadata = new V1ObjectMeta { Name = "x" },
        Spec = new CodeExecutionSpec { CodeFrom = new CodeSource { SecretKeyRef = new KeyReference { Name = "src", Key = "main.py" } } },
    };

    private static CodeExecution FromConfigMap() => new()
    {
        Metadata = new V1ObjectMeta { Name = "x" },
        Spec = new CodeExecutionSpec { CodeFrom = new CodeSource { ConfigMapKeyRef = new KeyReference { Name = "src", Key = "main.py" } } },
    };

    /// <summary>A Secret as the API server returns it: its type defaulted, the opt-in label when <paramref name="labelled"/>.</summary>
    private static V1Secret Secret(byte[]? value, string? type = "Opaque", bool labelled = true, string labelValue = "true") => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = "src",
            Labels = labelled ? new Dictionary<string, string> { [ApiConstants.CodeSourceLabel] = labelValue } : null,
        },
        Type = type,
        Data = value is null ? new Dictionary<string, byte[]>() : new Dictionary<string, byte[]> { ["main.py"] = value },
    };

    [Fact]
    public void Inline_code_hash_is_the_sha256_of_its_utf8_bytes()
    {
        var code = ResolvedCode.FromInline(new CodeExecution { Spec = new CodeExecutionSpec { Code = "abc" } })!;

        Assert.Equal(CodeSourceKind.Inline, code.Kind);
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", code.Sha256);
    }

    [Fact]
    public void Code_is_read_from_the_named_key_of_a_labelled_opaque_secret_and_has_no_hash()
    {
        var code = ResolvedCode.FromReference(FromSecret(), null, Secret(Encoding.UTF8.GetBytes("print(1)")), out var error);

        Assert.Null(error);
        Assert.Equal(new ResolvedCode("print(1)", CodeSourceKind.Secret), code);
        Assert.Null(code!.Sha256);
    }

    [Fact]
    public void A_labelled_secret_without_type_is_opaque()
    {
        Assert.NotNull(ResolvedCode.FromReference(FromSecret(), null, Secret(Encoding.UTF8.GetBytes("print(1)"), type: null), out var error));
        Assert.Null(error);
    }

    [Fact]
    public void Code_is_read_from_the_named_config_map_key_with_its_hash()
    {
        var map = new V1ConfigMap { Data = new Dictionary<string, string> { ["main.py"] = "print(2)" } };

        var code = ResolvedCode.FromReference(FromConfigMap(), map, null, out _);

        Assert.Equal(new ResolvedCode("print(2)", CodeSourceKind.ConfigMap), code);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("print(2)"u8)), code!.Sha256);
    }

    [Fact]
    public void Missing_config_map_missing_key_and_binary_secret_are_errors()
    {
        Assert.Null(ResolvedCode.FromReference(FromConfigMap(), null, null, out var missing));
        Assert.Equal("the ConfigMap src named by spec.codeFrom does not exist", missing);

        Assert.Null(ResolvedCode.FromReference(FromConfigMap(), new V1ConfigMap { Data = new Dictionary<string, string>() }, null, out var noKey));
        Assert.Equal("the ConfigMap src has no key main.py (or it is empty)", noKey);

        Assert.Null(ResolvedCode.FromReference(FromSecret(), null, Secret([0xFF, 0xFE]), out var notText));
        Assert.Equal("the key main.py of the Secret src is not UTF-8 text", notText);
    }

    /// <summary>Security review finding 3: the operator's right to read Secrets must not reach Secrets nobody meant as code.</summary>
    [Fact]
    public void Missing_unlabelled_keyless_and_empty_secrets_get_one_message_that_names_the_label()
    {
        var code = Encoding.UTF8.GetBytes("print(1)");
        var messages = new List<string?>();
        foreach (var secret in new[]
                 {
                     null, // does not exist
                     Secret(code, labelled: false),
                     Secret(code, labelValue: "yes"),
                     Secret(null), // no such key
                     Secret([]), // empty
                 })
        {
            Assert.Null(ResolvedCode.FromReference(FromSecret(), null, secret, out var error));
            messages.Add(error);
        }

        Assert.All(messages, m => Assert.Equal(Uniform, m));
    }

    [Theory]
    [InlineData("kubernetes.io/service-account-token")]
    [InlineData("kubernetes.io/dockerconfigjson")]
    [InlineData("kubernetes.io/dockercfg")]
    [InlineData("kubernetes.io/tls")]
    [InlineData("kubernetes.io/basic-auth")]
    [InlineData("kubernetes.io/ssh-auth")]
    [InlineData("bootstrap.kubernetes.io/token")]
    [InlineData("example.com/anything-else")]
    public void A_typed_secret_is_refused_even_when_labelled_with_the_same_message(string type)
    {
        Assert.Null(ResolvedCode.FromReference(FromSecret(), null, Secret(Encoding.UTF8.GetBytes("eyJhbGciOi.token"), type), out var error));

        Assert.Equal(Uniform, error);
    }

    [Fact]
    public void Code_over_the_codeFrom_bound_is_refused_for_both_kinds_and_the_bound_itself_is_accepted()
    {
        var atBound = new string('x', ApiConstants.MaxCodeFromBytes);
        var over = atBound + "x";
        var expected = $"holds {ApiConstants.MaxCodeFromBytes + 1} bytes of code; spec.codeFrom may name at most {ApiConstants.MaxCodeFromBytes} bytes (512 KiB)";

        Assert.NotNull(ResolvedCode.FromReference(FromSecret(), null, Secret(Encoding.UTF8.GetBytes(atBound)), out _));
        Assert.NotNull(ResolvedCode.FromReference(FromConfigMap(), new V1ConfigMap { Data = new Dictionary<string, string> { ["main.py"] = atBound } }, null, out _));

        Assert.Null(ResolvedCode.FromReference(FromSecret(), null, Secret(Encoding.UTF8.GetBytes(over)), out var secretError));
        Assert.Equal("the key main.py of the Secret src " + expected, secretError);
        Assert.Null(ResolvedCode.FromReference(FromConfigMap(), new V1ConfigMap { Data = new Dictionary<string, string> { ["main.py"] = over } }, null, out var mapError));
        Assert.Equal("the key main.py of the ConfigMap src " + expected, mapError);
    }

    [Fact]
    public void The_config_map_bound_counts_utf8_bytes_not_characters()
    {
        var text = new string('é', (ApiConstants.MaxCodeFromBytes / 2) + 1); // two bytes each in UTF-8

        Assert.Null(ResolvedCode.FromReference(FromConfigMap(), new V1ConfigMap { Data = new Dictionary<string, string> { ["main.py"] = text } }, null, out var error));
        Assert.Contains($"holds {ApiConstants.MaxCodeFromBytes + 2} bytes", error, StringComparison.Ordinal);
    }
}
