using BenchmarkDotNet.Running;

namespace Wharf.Benchmarks;

/// <summary>
/// Micro benchmarks. Run in Release, e.g.
/// <c>dotnet run -c Release --project bench/Wharf.Benchmarks -- --job short --filter *Crc*</c>.
/// Figures go to docs/benchmarks.md.
/// </summary>
public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
