using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Meowstik.Agent;

namespace Meowstik.Agent.Tests.Security;

public class HubCertificateValidatorTests : IDisposable
{
    private readonly X509Certificate2 _homeCa = TestCertificates.CreateAuthority("Home CA");
    private readonly X509Certificate2 _otherCa = TestCertificates.CreateAuthority("Other CA");
    private readonly X509Certificate2 _server;

    public HubCertificateValidatorTests()
    {
        _server = TestCertificates.CreateServer(_homeCa, "localhost");
    }

    public void Dispose()
    {
        _homeCa.Dispose();
        _otherCa.Dispose();
        _server.Dispose();
    }

    [Fact]
    public void No_settings_means_platform_validation()
    {
        Assert.Null(HubCertificateValidator.CreateCallback(new MeshAgentTlsOptions()));
    }

    [Fact]
    public void A_certificate_from_the_trusted_private_ca_is_accepted()
    {
        var tls = new MeshAgentTlsOptions();
        tls.TrustedCertificateAuthorities.Add(_homeCa);
        RemoteCertificateValidationCallback validate = HubCertificateValidator.CreateCallback(tls)!;
        Assert.True(validate(this, _server, null, SslPolicyErrors.RemoteCertificateChainErrors));
    }

    [Fact]
    public void A_certificate_from_another_ca_or_for_another_name_is_refused()
    {
        var tls = new MeshAgentTlsOptions();
        tls.TrustedCertificateAuthorities.Add(_otherCa);
        Assert.False(HubCertificateValidator.CreateCallback(tls)!(this, _server, null, SslPolicyErrors.RemoteCertificateChainErrors));

        var home = new MeshAgentTlsOptions();
        home.TrustedCertificateAuthorities.Add(_homeCa);
        Assert.False(HubCertificateValidator.CreateCallback(home)!(this, _server, null, SslPolicyErrors.RemoteCertificateNameMismatch));
        Assert.False(HubCertificateValidator.CreateCallback(home)!(this, null, null, SslPolicyErrors.RemoteCertificateNotAvailable));
    }

    [Fact]
    public void Pins_match_the_leaf_or_the_ca_public_key()
    {
        var leafPinned = new MeshAgentTlsOptions();
        leafPinned.TrustedCertificateAuthorities.Add(_homeCa);
        leafPinned.PinnedPublicKeySha256.Add(HubCertificateValidator.ComputePin(_server));
        Assert.True(HubCertificateValidator.CreateCallback(leafPinned)!(this, _server, null, SslPolicyErrors.RemoteCertificateChainErrors));

        var caPinned = new MeshAgentTlsOptions();
        caPinned.TrustedCertificateAuthorities.Add(_homeCa);
        caPinned.PinnedPublicKeySha256.Add(HubCertificateValidator.ComputePin(_homeCa));
        Assert.True(HubCertificateValidator.CreateCallback(caPinned)!(this, _server, null, SslPolicyErrors.RemoteCertificateChainErrors));

        var wrongPin = new MeshAgentTlsOptions();
        wrongPin.TrustedCertificateAuthorities.Add(_homeCa);
        wrongPin.PinnedPublicKeySha256.Add(Convert.ToBase64String(SHA256.HashData("not a key"u8)));
        Assert.False(HubCertificateValidator.CreateCallback(wrongPin)!(this, _server, null, SslPolicyErrors.RemoteCertificateChainErrors));
    }

    [Fact]
    public void Pinning_without_a_private_ca_still_requires_a_valid_chain()
    {
        var tls = new MeshAgentTlsOptions();
        tls.PinnedPublicKeySha256.Add(HubCertificateValidator.ComputePin(_server));
        RemoteCertificateValidationCallback validate = HubCertificateValidator.CreateCallback(tls)!;
        Assert.True(validate(this, _server, null, SslPolicyErrors.None));
        Assert.False(validate(this, _server, null, SslPolicyErrors.RemoteCertificateChainErrors));
    }

    [Fact]
    public void A_custom_callback_replaces_the_checks()
    {
        var tls = new MeshAgentTlsOptions { RemoteCertificateValidation = (_, _, _, _) => true };
        tls.PinnedPublicKeySha256.Add("ignored");
        Assert.True(HubCertificateValidator.CreateCallback(tls)!(this, _server, null, SslPolicyErrors.RemoteCertificateChainErrors));
    }
}
