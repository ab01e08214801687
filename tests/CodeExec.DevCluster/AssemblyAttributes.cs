// The dev cluster runs Linux sandboxes (runsc or local processes under /var/tmp); it does not run elsewhere.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
