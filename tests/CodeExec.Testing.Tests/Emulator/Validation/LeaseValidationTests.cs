using Xunit;

namespace CodeExec.Testing.Tests.Emulator.Validation;

/// <summary>pkg/apis/coordination/validation's Lease rules, as kube-apiserver answers them.</summary>
public sealed class LeaseValidationTests : ValidationTest
{
    private const string Kind = "Lease.coordination.k8s.io";

    private static string Lease(string spec) => "{\"metadata\":{\"name\":\"leader\"},\"spec\":{" + spec + "}}";

    [Fact]
    public async Task ValidateLeaseSpec_requires_a_positive_duration()
    {
        AssertOnlyError(await CreateAsync(Leases, Lease("\"holderIdentity\":\"a\",\"leaseDurationSeconds\":0")), Kind, "leader",
            "spec.leaseDurationSeconds", "Invalid value: 0: must be greater than 0");
        await CreateValidAsync(Leases, Lease("\"holderIdentity\":\"a\",\"leaseDurationSeconds\":15"));
    }

    [Fact]
    public async Task ValidateLeaseSpec_refuses_negative_transitions()
    {
        AssertOnlyError(await CreateAsync(Leases, Lease("\"leaseTransitions\":-1")), Kind, "leader",
            "spec.leaseTransitions", "Invalid value: -1: must be greater than or equal to 0");
        await CreateValidAsync(Leases, Lease("\"leaseTransitions\":0"));
    }

    [Fact]
    public async Task ValidateCoordinatedLeaseStrategy_allows_known_or_qualified_strategies()
    {
        AssertOnlyError(await CreateAsync(Leases, Lease("\"strategy\":\"Newest\"")), Kind, "leader",
            "spec.strategy.strategy", "Unsupported value: \"Newest\": supported values: \"OldestEmulationVersion\"", "FieldValueNotSupported");
        await CreateValidAsync(Leases, Lease("\"strategy\":\"example.com/newest\",\"preferredHolder\":\"b\""));
    }

    [Fact]
    public async Task ValidateLeaseSpec_allows_preferredHolder_only_with_a_strategy()
    {
        AssertOnlyError(await CreateAsync(Leases, Lease("\"preferredHolder\":\"b\"")), Kind, "leader",
            "spec.preferredHolder", "Forbidden: may only be specified if `strategy` is defined", "FieldValueForbidden");
        await CreateValidAsync(Leases, Lease("\"strategy\":\"OldestEmulationVersion\",\"preferredHolder\":\"b\""));
    }

    [Fact]
    public async Task ValidateLeaseUpdate_validates_the_new_spec()
    {
        await CreateValidAsync(Leases, Lease("\"holderIdentity\":\"a\",\"leaseDurationSeconds\":15"));

        AssertOnlyError(await ReplaceAsync(Leases, "leader", o => o["spec"]!["leaseDurationSeconds"] = -5), Kind, "leader",
            "spec.leaseDurationSeconds", "Invalid value: -5: must be greater than 0");
        AssertOk(await ReplaceAsync(Leases, "leader", o => o["spec"]!["holderIdentity"] = "b"));
    }
}
