using Microsoft.Extensions.Logging.Abstractions;

namespace Wharf.Storage.Tests;

public sealed class BackgroundJobThreadTests
{
    [Fact]
    public void Jobs_RunOnTheNamedDedicatedThread_NotOnThePool()
    {
        using var thread = new BackgroundJobThread("wharf-test-jobs", NullLogger.Instance);
        string? name = null;
        var pooled = true;
        var job = new BackgroundJob("probe", () =>
        {
            name = Thread.CurrentThread.Name;
            pooled = Thread.CurrentThread.IsThreadPoolThread;
        });

        Assert.True(thread.Schedule(job));
        thread.WaitForQueuedJobs();

        Assert.Equal("wharf-test-jobs", name);
        Assert.False(pooled);
    }

    [Fact]
    public void AJobQueuedOrRunning_IsNotQueuedAgain_AndCanBeQueuedOnceItHasRun()
    {
        using var thread = new BackgroundJobThread("wharf-test-jobs", NullLogger.Instance);
        using var started = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var runs = 0;
        var slow = new BackgroundJob("slow", () =>
        {
            Interlocked.Increment(ref runs);
            started.Set();
            release.Wait();
        });

        Assert.True(thread.Schedule(slow));
        started.Wait();
        Assert.False(thread.Schedule(slow));
        Assert.False(thread.Schedule(slow));
        release.Set();
        thread.WaitForQueuedJobs();
        Assert.Equal(1, Volatile.Read(ref runs));

        Assert.True(thread.Schedule(slow));
        thread.WaitForQueuedJobs();
        Assert.Equal(2, Volatile.Read(ref runs));
    }

    [Fact]
    public void AFailingJob_DoesNotStopTheThread()
    {
        using var thread = new BackgroundJobThread("wharf-test-jobs", NullLogger.Instance);
        var ran = false;

        thread.Schedule(new BackgroundJob("failing", () => throw new IOException("disk gone")));
        thread.Schedule(new BackgroundJob("next", () => ran = true));
        thread.WaitForQueuedJobs();

        Assert.True(ran);
    }

    [Fact]
    public void Dispose_LetsTheRunningJobFinish_AndLaterSchedulesAreRefused()
    {
        var thread = new BackgroundJobThread("wharf-test-jobs", NullLogger.Instance);
        using var started = new ManualResetEventSlim();
        var finished = false;
        thread.Schedule(new BackgroundJob("running", () =>
        {
            started.Set();
            Thread.Yield();
            finished = true;
        }));
        started.Wait();

        thread.Dispose();

        Assert.True(finished);
        Assert.False(thread.Schedule(new BackgroundJob("late", () => { })));
    }
}
