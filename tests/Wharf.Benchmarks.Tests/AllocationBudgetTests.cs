using System.Text.Json;
using Wharf.Benchmarks.HotPath;
using Xunit.Abstractions;

namespace Wharf.Benchmarks.Tests;

/// <summary>
/// Each hot-path operation (the ones bench/Wharf.Benchmarks times) must allocate no more managed bytes per call
/// than its checked-in budget in AllocationBudgets.json. Counted with GC.GetAllocatedBytesForCurrentThread over
/// many calls after a warm-up — allocation counting, not timing, so it is cheap and not flaky on a loaded machine.
/// A budget is the measured figure plus modest headroom; raise it only with a reason in the commit.
/// </summary>
public sealed class AllocationBudgetTests(ITestOutputHelper output) : IClassFixture<AllocationBudgetTests.Operations>
{
    private const int WarmUpCalls = 20;
    private const int MeasuredCalls = 64;

    public static TheoryData<string> OperationNames => [.. Budgets().Keys];

    [Theory]
    [MemberData(nameof(OperationNames))]
    public void Operation_AllocatesNoMoreThanItsBudget(string operation)
    {
        var call = Operations.Get(operation);
        for (var i = 0; i < WarmUpCalls; i++)
        {
            call();
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < MeasuredCalls; i++)
        {
            call();
        }

        var perCall = (GC.GetAllocatedBytesForCurrentThread() - before) / (double)MeasuredCalls;
        var budget = Budgets()[operation];
        output.WriteLine($"{operation}: {perCall:0.#} bytes per call (budget {budget})");
        Assert.True(perCall <= budget, $"{operation} allocates {perCall:0.#} bytes per call; its budget is {budget}. Find the new allocation (BenchmarkDotNet's MemoryDiagnoser, or dotnet-trace's gc-verbose) before raising the budget.");
    }

    [Fact]
    public void Budgets_CoverEveryHotPathOperation()
    {
        Assert.Equal(Operations.Names.Order(), Budgets().Keys.Order());
    }

    private static Dictionary<string, long> Budgets()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "AllocationBudgets.json");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.GetProperty("bytesPerCall").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt64());
    }

    /// <summary>One <see cref="HotPathOperations"/> for the class (it opens a log in a temp directory).</summary>
    public sealed class Operations : IDisposable
    {
        public static readonly string[] Names = ["RequestHeaderDecode", "ProduceDecodeAndValidate1MiB", "LeaderAppend1MiB", "LogRead1MiB", "FetchResponseEncode1MiB"];

        private static readonly Lazy<HotPathOperations> Shared = new(() => new HotPathOperations());

        public static Action Get(string name) => name switch
        {
            "RequestHeaderDecode" => () => Shared.Value.DecodeRequestHeader(),
            "ProduceDecodeAndValidate1MiB" => () => Assert.Equal(Records.RecordBatchError.None, Shared.Value.DecodeAndValidateProduce()),
            "LeaderAppend1MiB" => () => Shared.Value.Append(),
            "LogRead1MiB" => () => Shared.Value.ReadFromLog(),
            "FetchResponseEncode1MiB" => () => Shared.Value.EncodeFetchResponse(),
            _ => throw new ArgumentException($"no hot-path operation named {name}"),
        };

        public void Dispose()
        {
            if (Shared.IsValueCreated)
            {
                Shared.Value.Dispose();
            }
        }
    }
}
