using System.Runtime.InteropServices;

namespace Wharf.Client.Native;

/// <summary>
/// Owns an <c>rd_kafka_share_t</c> and, when one was registered, the GC handle that the acknowledgement-commit
/// callback receives as its opaque pointer.
/// </summary>
/// <remarks>
/// Releasing calls <c>rd_kafka_share_destroy</c>, which also closes the consumer if <see cref="ShareConsumer.Close"/>
/// was not called (leaving the group, bounded by <c>socket.timeout.ms</c>). The callback's GC handle is freed only
/// after the native handle is gone, so librdkafka can never call back into a freed handle. SafeHandle reference
/// counting keeps the native handle alive while any P/Invoke is using it, so a Dispose racing a blocked call only
/// destroys the consumer when that call returns. A consumer that is never disposed is destroyed by this handle's
/// finalizer, which then blocks the finalizer thread for as long as the close takes: dispose consumers.
/// </remarks>
internal sealed class ShareConsumerHandle : SafeHandle
{
    private nint _callbackState;

    public ShareConsumerHandle()
        : base(0, ownsHandle: true)
    {
    }

    internal ShareConsumerHandle(nint share)
        : this() => SetHandle(share);

    public override bool IsInvalid => handle == 0;

    /// <summary>Hands a GC handle (as an opaque pointer) to this object to free after the consumer is destroyed.</summary>
    internal void OwnCallbackState(GCHandle state) => _callbackState = GCHandle.ToIntPtr(state);

    protected override bool ReleaseHandle()
    {
        var error = LibrdkafkaNative.ShareDestroy(handle);
        if (error != 0)
        {
            // Only __CONFLICT (another thread inside the API) or __STATE (inside the callback) end up here, and the
            // reference count rules out both; librdkafka keeps the instance, so leak it rather than free the state.
            LibrdkafkaNative.ErrorDestroy(error);
            return false;
        }

        if (_callbackState != 0)
        {
            GCHandle.FromIntPtr(_callbackState).Free();
            _callbackState = 0;
        }

        return true;
    }
}
