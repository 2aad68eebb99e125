using System.Globalization;
using Wharf.Testing.Faults.Nemesis;

namespace Wharf.FaultRun;

/// <summary>The command line of the long fault run. Immutable once parsed.</summary>
internal sealed record LongRunOptions(int Seed, TimeSpan Duration, IReadOnlyList<NemesisKind> Nemeses, string HistoryDirectory)
{
    public const string Usage =
        "usage: dotnet run -c Release --project bench/Wharf.FaultRun -- [--seed N] [--duration SECONDS] [--nemesis KIND[,KIND…]] [--history-dir DIR]\n" +
        "  --seed        fixes every fault schedule (default 42)\n" +
        "  --duration    total seconds under faults, shared equally by the nemeses (default 600)\n" +
        "  --nemesis     which to run (default all): KillLeader, KillRandomBroker, PauseLeader, IsolateLeaderFromFollowers,\n" +
        "                IsolateLeaderFromEtcd, IsolateLeaderFromBoth, KillEtcdMember, HoldEndTxn\n" +
        "  --history-dir where each nemesis's JSONL history is kept (default ./fault-histories)";

    /// <exception cref="ArgumentException">an unknown option or a bad value.</exception>
    public static LongRunOptions Parse(string[] args)
    {
        var seed = 42;
        var duration = TimeSpan.FromSeconds(600);
        IReadOnlyList<NemesisKind> nemeses = Enum.GetValues<NemesisKind>();
        var histories = Path.GetFullPath("fault-histories");
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--seed":
                    seed = int.Parse(value, CultureInfo.InvariantCulture);
                    break;
                case "--duration":
                    duration = TimeSpan.FromSeconds(double.Parse(value, CultureInfo.InvariantCulture));
                    break;
                case "--nemesis":
                    nemeses = [.. value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(n => Enum.Parse<NemesisKind>(n, ignoreCase: true))];
                    break;
                case "--history-dir":
                    histories = Path.GetFullPath(value);
                    break;
                default:
                    throw new ArgumentException($"unknown option {args[i]}");
            }

            i++;
        }

        return new LongRunOptions(seed, duration, nemeses, histories);
    }
}
