/* SPDX-License-Identifier: MIT */
#pragma once

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Files under /proc and /sys are small; anything larger than this is not
 * what we expect to read and is refused rather than slurped. */
#define READ_FILE_MAX_DEFAULT (4u << 20)

static inline void freep(void *p) { free(*(void **)p); }
#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ __attribute__((cleanup(freep)))
/* systemd's shape: the variable is closed when it goes out of scope; a
 * negative fd or NULL is left alone, so `return TAKE_FD(fd)` hands it on. */
void closep(int *fd);
void fclosep(FILE **f);
void closedirp(DIR **d);
#define _cleanup_close_ __attribute__((cleanup(closep)))
#define _cleanup_fclose_ __attribute__((cleanup(fclosep)))
#define _cleanup_closedir_ __attribute__((cleanup(closedirp)))
#define TAKE_FD(fd) ({ int _fd_ = (fd); (fd) = -1; _fd_; })
#define TAKE_PTR(p) ({ __typeof__(p) _p_ = (p); (p) = NULL; _p_; })

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

/* a + b, stuck at UINT64_MAX instead of wrapping: a sum of figures read
 * from a file must never come out small because the file lied. */
static inline uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* a - b, stuck at 0 instead of wrapping (a counter that went back). */
static inline uint64_t sat_sub64(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

/* The one clock helper: clock_gettime(id) in nanoseconds (CLOCK_MONOTONIC
 * for intervals and deadlines, CLOCK_REALTIME for what people read). */
uint64_t clock_now_ns(clockid_t id);

/* Makes room for need elements of size bytes in *v (capacity *cap),
 * doubling: 0 or -ENOMEM (then *v and *cap are untouched). */
int grow_array(void **v, size_t *cap, size_t need, size_t size);

/* --- Files under --root: the one mechanism every reader uses ---
 *
 * A root is a directory tree read as if it were "/" (a distro's files, a
 * test fixture, an untrusted tree); NULL, "" or "/" means the live system.
 * Everything a reader opens under a root goes through root_open(), so:
 *  - a path resolves inside the root: "..", absolute symlinks and magic
 *    links cannot leave it (openat2 RESOLVE_IN_ROOT on the root directory;
 *    kernels before 5.6 lack openat2 and get plain concatenation);
 *  - nothing blocks: O_NONBLOCK is always added, so a FIFO or device
 *    planted where /proc/meminfo should be cannot hang the reader;
 *  - O_CLOEXEC and O_NOCTTY are always added.
 * read_text_at() is the usual entry point for a file's content; it refuses
 * anything but a regular file (proc and sysfs files are regular) with
 * -ENOTREG.  root_opendir() lists a directory; root_resolve() gives the
 * resolved path for the few readers that need a path string (SQLite,
 * lstat of a link), resolved the same way.  Writers (the levers' kernel
 * knobs) open the knob's directory with root_open() and write with
 * root_write_at().  root_path() only names a file in messages. */

/* Not a regular file (a FIFO, device or socket where a file was expected). */
#define ENOTREG EMEDIUMTYPE

/* Opens abs (absolute, as on the root's own system) under root with flags
 * (O_RDONLY, O_DIRECTORY, O_PATH | O_NOFOLLOW ...).  Returns an fd or
 * negative errno. */
int root_open(const char *root, const char *abs, int flags);
/* Reads abs under root with read_text_fd's rules. */
int read_text_at(const char *root, const char *abs, size_t max, char **ret, size_t *ret_len);
/* opendir(3) of abs under root, or NULL with errno set. */
DIR *root_opendir(const char *root, const char *abs);
/* The path abs resolves to inside root, with the root's own symlinks
 * followed as the root would (the last component is not followed); the
 * root prefix is kept, so buf can be opened from here.  -ENOENT when a
 * component is missing, -ENAMETOOLONG when buf is too small. */
int root_resolve(const char *root, const char *abs, char *buf, size_t size);
/* "ROOT/abs" for messages: how a reader names the file it read. */
int root_path(const char *root, const char *abs, char *buf, size_t size);
/* Opens name, one path component (no '/', not "." or ".."), in dirfd: a
 * directory root_open() gave, or one opened by handle.  root_open()'s
 * flags are added, and O_NOFOLLOW, so name cannot lead out of dirfd. */
int root_openat(int dirfd, const char *name, int flags);
/* Writes value to the kernel knob dirfd/name (proc, sysfs and cgroup
 * files, all regular) in one write(2), opened with root_openat(): a
 * symlink is refused (-ELOOP), anything but a regular file with -ENOTREG
 * before it is opened for writing, so a FIFO cannot block the writer.
 * -EIO on a short write.  A knob that blocks in the kernel (memory.reclaim
 * loops until done) is the caller's to bound: a signal ends it (-EINTR). */
int root_write_at(int dirfd, const char *name, const char *value);
/* strerror(3), but says "not a regular file" for ENOTREG. */
const char *root_strerror(int errnum);

/* Reads a whole regular file into a NUL-terminated heap buffer.  -ENOTREG
 * when fd is not a regular file, -EFBIG when the file holds more than max
 * bytes, -EILSEQ when it contains a NUL byte (binary junk in a text
 * file), other negative errno from read.  Does not close fd. */
int read_text_fd(int fd, size_t max, char **ret, size_t *ret_len);
/* read_text_at(NULL, path, ...): path as it is, on the live system. */
int read_text_file(const char *path, size_t max, char **ret, size_t *ret_len);

/* Splits a buffer into lines in place.  Returns the next line (without its
 * newline) and advances *cursor, or NULL at the end.  *lineno counts from 1. */
char *next_line(char **cursor, unsigned *lineno);

/* Strict unsigned decimal: no sign, no junk, no overflow.  -EINVAL / -ERANGE. */
int parse_u64(const char *s, uint64_t *ret);
/* Same, but stops at the first whitespace and stores the rest in *end. */
int parse_u64_prefix(const char *s, uint64_t *ret, const char **end);
/* Strict finite decimal fraction (e.g. "12.34"). */
int parse_double(const char *s, double *ret);

/* "1.5 GiB", "512.0 MiB", "4.0 KiB", "17 B": binary units, one decimal. */
const char *format_bytes(uint64_t bytes, char *buf, size_t size);

char *skip_space(const char *s);
void strip_trailing_space(char *s);
bool string_has_prefix(const char *s, const char *prefix);

