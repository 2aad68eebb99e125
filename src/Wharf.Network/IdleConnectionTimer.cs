namespace Wharf.Network;

/// <summary>
/// <c>connections.max.idle.ms</c> for one connection: calls its close action once the connection has had no request
/// in progress and no activity (a request received, a response sent) for the idle limit. A one-shot timer is re-armed
/// for the time still to go whenever it fires early, so the check costs nothing per request beyond two counters.
/// Thread-safety: the counters are updated from the connection's two loops and read on the timer's thread, all
/// through <see cref="Interlocked"/> / <see cref="Volatile"/>; <see cref="Dispose"/> may race with a firing.
/// </summary>
internal sealed class IdleConnectionTimer : IDisposable
{
    private readonly TimeSpan _maxIdle;
    private readonly TimeProvider _time;
    private readonly Action _close;
    private readonly ITimer _timer;
    private long _lastActivity;
    private int _inFlight;

    public IdleConnectionTimer(TimeSpan maxIdle, TimeProvider time, Action close)
    {
        _maxIdle = maxIdle;
        _time = time;
        _close = close;
        _lastActivity = time.GetTimestamp();
        _timer = time.CreateTimer(static state => ((IdleConnectionTimer)state!).Check(), this, maxIdle, Timeout.InfiniteTimeSpan);
    }

    public void RequestStarted()
    {
        Interlocked.Increment(ref _inFlight);
        Active();
    }

    public void RequestCompleted() => Interlocked.Decrement(ref _inFlight);

    /// <summary>Something was received or sent.</summary>
    public void Active() => Volatile.Write(ref _lastActivity, _time.GetTimestamp());

    public void Dispose() => _timer.Dispose();

    private void Check()
    {
        var idle = _time.GetElapsedTime(Volatile.Read(ref _lastActivity));
        if (Volatile.Read(ref _inFlight) == 0 && idle >= _maxIdle)
        {
            _close();
            return;
        }

        var remaining = Volatile.Read(ref _inFlight) > 0 ? _maxIdle : _maxIdle - idle;
        try
        {
            _timer.Change(remaining, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // The connection closed meanwhile.
        }
    }
}
