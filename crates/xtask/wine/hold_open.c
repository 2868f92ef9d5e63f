/*
 * Holds a file open the way Excel holds an open workbook: read and write,
 * shared with nobody (dwShareMode = 0), until a line (or the end) comes on
 * standard input. For `cargo xtask smoke --check in-use` under wine only.
 *
 * TEST HARNESS ONLY: NEVER SHIPPED. Built with MinGW-w64 by the smoke.
 *
 * Prints "holding" once the file is open, so the smoke knows when to try
 * the workbook; exits 2 if it cannot open it.
 */
#include <windows.h>
#include <stdio.h>

int wmain(int argc, wchar_t **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: hold_open FILE\n");
        return 2;
    }
    HANDLE file = CreateFileW(argv[1], GENERIC_READ | GENERIC_WRITE, 0, NULL,
                              OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    if (file == INVALID_HANDLE_VALUE) {
        fprintf(stderr, "cannot open: error %lu\n", GetLastError());
        return 2;
    }
    printf("holding\n");
    fflush(stdout);
    getchar();
    CloseHandle(file);
    return 0;
}
