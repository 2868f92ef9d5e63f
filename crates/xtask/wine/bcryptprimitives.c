/*
 * A stand-in for Windows 10's bcryptprimitives.dll, for running the
 * Windows build under wine 8 (Debian 12's) only.
 *
 * TEST HARNESS ONLY: NEVER SHIPPED. `cargo xtask smoke` builds it with
 * MinGW-w64 and puts it beside the .exe in a scratch directory; `dist`
 * never packs it. Real Windows (10 and later) has the real DLL.
 *
 * Rust's std gets its random bytes (HashMap keys, and so every program) from
 * ProcessPrng in bcryptprimitives.dll; wine 8 has no such DLL, so the
 * program exits at start (status 53). This answers ProcessPrng from
 * RtlGenRandom (advapi32's SystemFunction036), which wine has.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk)) {
            return FALSE;
        }
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
