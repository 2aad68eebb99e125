using System.Collections.Concurrent;

namespace Wharf.Storage;

/// <summary>
/// A few dedicated threads that run blocking fsyncs side by side, so a group-commit round can overlap the fsyncs of
/// different files in the device without ever blocking a thread-pool thread (on a 2-core machine the pool has two,
/// and a request path waiting behind an fsync shows up directly in tail latency). Threads start on first use.
/// Thread-safety: <see cref="RunAll{T}"/> from one thread at a time (the flusher's); <see cref="Dispose"/> after it.
/// </summary>
internal sealed class FsyncWorkers(int threads) : IDisposable
{
    private readonly BlockingCollection<Action> _work = [];
    private Thread[]? _threads;

    /// <summary>Runs <paramref name="body"/> for every item, the first on the calling thread, and waits for all.</summary>
    public void RunAll<T>(IReadOnlyList<T> items, Action<T> body)
    {
        if (items.Count == 0)
        {
            return;
        }

        EnsureStarted();
        using var done = new CountdownEvent(items.Count);
        for (var i = 1; i < items.Count; i++)
        {
            var item = items[i];
            _work.Add(() =>
            {
                try
                {
                    body(item);
                }
                finally
                {
                    done.Signal();
                }
            });
        }

        try
        {
            body(items[0]);
        }
        finally
        {
            done.Signal();
        }

        done.Wait();
    }

    public void Dispose()
    {
        _work.CompleteAdding();
        foreach (var thread in _threads ?? [])
        {
            thread.Join();
        }

        _work.Dispose();
    }

    private void EnsureStarted()
    {
        if (_threads is not null)
        {
            return;
        }

        _threads = new Thread[Math.Max(1, threads - 1)];
        for (var i = 0; i < _threads.Length; i++)
        {
            _threads[i] = new Thread(() =>
            {
                foreach (var action in _work.GetConsumingEnumerable())
                {
                    action();
                }
            })
            { IsBackground = true, Name = $"wharf-fsync-{i}" };
            _threads[i].Start();
        }
    }
}
