using OpenQA.Selenium.Chrome;
using Xunit.Sdk;

namespace Wharf.Console.Tests;

/// <summary>
/// Debian's chromium and its chromedriver (apt packages <c>chromium</c> and <c>chromium-driver</c>, installed by
/// scripts/install-test-tools.sh), started headless. The driver is always the one in /usr/bin and the browser binary is
/// named, so Selenium Manager never looks for, or downloads, either. Missing: the test is skipped unless <c>CI=true</c>,
/// where it fails (<see cref="ChromiumFactAttribute"/>).
/// </summary>
public static class Chromium
{
    public const string Browser = "/usr/bin/chromium";

    public const string DriverDirectory = "/usr/bin";

    public const string Driver = "chromedriver";

    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.Ordinal);

    /// <summary>Why the browser cannot be driven, or null when it can.</summary>
    public static string? MissingReason =>
        !File.Exists(Browser) ? $"{Browser} is missing (apt-get install chromium; see scripts/install-test-tools.sh)"
        : !File.Exists(Path.Combine(DriverDirectory, Driver)) ? $"{DriverDirectory}/{Driver} is missing (apt-get install chromium-driver)"
        : null;

    /// <summary>A headless chromium at <paramref name="width"/>×<paramref name="height"/>; the caller disposes it.</summary>
    public static ChromeDriver Start(int width = 1360, int height = 1000)
    {
        if (MissingReason is { } missing)
        {
            throw new XunitException(missing);
        }

        var service = ChromeDriverService.CreateDefaultService(DriverDirectory, Driver);
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        var options = new ChromeOptions { BinaryLocation = Browser };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run",
            "--disable-extensions", "--disable-background-networking", "--lang=en-US", $"--window-size={width},{height}");
        return new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
    }
}

/// <summary>A fact that needs <see cref="Chromium"/>: skipped when it is missing, except under <c>CI=true</c>.</summary>
[XunitTestCaseDiscoverer("Xunit.Sdk.FactDiscoverer", "xunit.execution.{Platform}")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute() => Skip = Chromium.IsCi ? null : Chromium.MissingReason;
}
