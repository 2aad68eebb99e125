using System.Runtime.InteropServices;

namespace Wharf.Cli;

/// <summary>
/// Turns Ctrl+C (SIGINT) and SIGTERM into a cancellation, so a command that runs until stopped (<c>consume</c>)
/// finishes cleanly: commits, closes its client and exits 0 instead of being killed. Dispose to restore the default
/// handling. Thread-safety: the signal handlers only cancel the token source.
/// </summary>
internal sealed class Interruption : IDisposable
{
    private readonly CancellationTokenSource _stopped;
    private readonly PosixSignalRegistration _interrupt;
    private readonly PosixSignalRegistration _terminate;

    public Interruption(CancellationToken outer)
    {
        _stopped = CancellationTokenSource.CreateLinkedTokenSource(outer);
        _interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
    }

    /// <summary>Cancelled once a signal arrives.</summary>
    public CancellationToken Token => _stopped.Token;

    public void Dispose()
    {
        _interrupt.Dispose();
        _terminate.Dispose();
        _stopped.Dispose();
    }

    private void Stop(PosixSignalContext context)
    {
        context.Cancel = true;
        _stopped.Cancel();
    }
}
