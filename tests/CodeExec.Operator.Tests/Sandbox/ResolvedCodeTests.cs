using System.Text;
using CodeExec.Api;
using CodeExec.Operator.Sandbox;
using k8s.Models;
using Xunit;

namespace CodeExec.Operator.Tests.Sandbox;

public sealed class ResolvedCodeTests
{
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

    [Fact]
    public void Inline_code_hash_is_the_sha256_of_its_utf8_bytes()
    {
        var code = ResolvedCode.FromInline(new CodeExecution { Spec = new CodeExecutionSpec { Code = "abc" } })!;

        Assert.Equal(CodeSourceKind.Inline, code.Kind);
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", code.Sha256);
    }

    [Fact]
    public void Code_is_read_from_the_named_secret_key()
    {
        var secret = new V1Secret { Data = new Dictionary<string, byte[]> { ["main.py"] = Encoding.UTF8.GetBytes("print(1)") } };

        var code = ResolvedCode.FromReference(FromSecret(), null, secret, out var error);

        Assert.Null(error);
        Assert.Equal(new ResolvedCode("print(1)", CodeSourceKind.Secret), code);
    }

    [Fact]
    public void Code_is_read_from_the_named_config_map_key()
    {
        var map = new V1ConfigMap { Data = new Dictionary<string, string> { ["main.py"] = "print(2)" } };

        Assert.Equal(new ResolvedCode("print(2)", CodeSourceKind.ConfigMap), ResolvedCode.FromReference(FromConfigMap(), map, null, out _));
    }

    [Fact]
    public void Missing_object_missing_key_and_binary_secret_are_errors()
    {
        Assert.Null(ResolvedCode.FromReference(FromConfigMap(), null, null, out var missing));
        Assert.Equal("the ConfigMap src named by spec.codeFrom does not exist", missing);

        Assert.Null(ResolvedCode.FromReference(FromConfigMap(), new V1ConfigMap { Data = new Dictionary<string, string>() }, null, out var noKey));
        Assert.Equal("the ConfigMap src has no key main.py (or it is empty)", noKey);

        var binary = new V1Secret { Data = new Dictionary<string, byte[]> { ["main.py"] = [0xFF, 0xFE] } };
        Assert.Null(ResolvedCode.FromReference(FromSecret(), null, binary, out var notText));
        Assert.Equal("the key main.py of the Secret src is not UTF-8 text", notText);
    }
}
