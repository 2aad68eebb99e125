namespace Wharf.Coordinator.Runtime;

/// <summary>
/// A timer of one coordinator leadership (<see cref="CoordinatorContext.CreateTimer"/>): session, rebalance and
/// transaction timeouts, offset expiry. Its callback runs as an event on the partition's loop and never after the
/// timer was disposed or its context closed — both checked on the loop, so a firing that races a dispose is dropped.
/// Time comes from the context's <see cref="TimeProvider"/>.
/// Thread-safety: <see cref="Change"/> and <see cref="Dispose"/> are called on the loop; firings come from any thread.
/// </summary>
public sealed class CoordinatorTimer : IDisposable
{
    private readonly CoordinatorContext _context;
    private readonly Action _callback;
    private ITimer? _timer;
    private bool _cancelled;

    internal CoordinatorTimer(CoordinatorContext context, Action callback)
    {
        _context = context;
        _callback = callback;
    }

    /// <summary>Re-arms the timer (like <see cref="ITimer.Change"/>); false once it is disposed.</summary>
    public bool Change(TimeSpan dueTime, TimeSpan period) => !_cancelled && _timer is not null && _timer.Change(dueTime, period);

    /// <summary>Cancels the timer: a firing already queued is dropped.</summary>
    public void Dispose()
    {
        if (!_cancelled)
        {
            Cancel();
            _context.Forget(this);
        }
    }

    internal void Start(TimeProvider time, TimeSpan dueTime, TimeSpan period) =>
        _timer = time.CreateTimer(static state => ((CoordinatorTimer)state!).Fire(), this, dueTime, period);

    internal void Cancel()
    {
        _cancelled = true;
        _timer?.Dispose();
    }

    private void Fire()
    {
        if (_context.Loop.IsHeldByCurrentThread)
        {
            // The time provider fired inside an event (a virtual clock moved by the event itself): run after it.
            ThreadPool.UnsafeQueueUserWorkItem(static timer => timer.Fire(), this, preferLocal: false);
            return;
        }

        lock (_context.Loop)
        {
            if (_cancelled || _context.State != CoordinatorContext.ContextState.Active)
            {
                return;
            }

            try
            {
                _callback();
            }
#pragma warning disable CA1031 // A failing timer event is logged; it must not take the process down from a timer thread.
            catch (Exception e)
#pragma warning restore CA1031
            {
                _context.LogEventFailure(e, "A timer event");
            }
        }
    }
}
