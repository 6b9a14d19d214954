using System.Runtime.InteropServices;

namespace RsStreamCurate.Curation.Sinks;

/// <summary>Makes renames and new directory entries durable, which <see cref="FileStream.Flush(bool)"/> alone does not.</summary>
internal static partial class FileDurability
{
    // O_RDONLY. A directory opens read-only without O_DIRECTORY, whose value differs between architectures.
    private const int ReadOnly = 0;

    /// <summary>
    /// Flushes a directory so that a file created or renamed in it survives a power loss (POSIX fsync on the
    /// directory). Throws <see cref="IOException"/> when the call fails.
    /// </summary>
    public static void FlushDirectory(string path)
    {
        // NOTE: only Linux is handled. Elsewhere the rename is durable only once the OS writes the directory back.
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        int fd = Open(path, ReadOnly);
        if (fd < 0)
        {
            throw new IOException($"Failed to open directory {path} to flush it (errno {Marshal.GetLastPInvokeError()}).");
        }

        try
        {
            if (Fsync(fd) != 0)
            {
                throw new IOException($"fsync failed on directory {path} (errno {Marshal.GetLastPInvokeError()}).");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
