/* SPDX-License-Identifier: MIT */
/* The few kernel types the tracker reads, declared by hand instead of a
 * full vmlinux.h: preserve_access_index makes every field access a CO-RE
 * relocation, so libbpf fixes offsets against the running kernel's BTF at
 * load time and only the names used here must exist there. */
#pragma once

#include <stdbool.h>
#include <linux/types.h>
#include <linux/bpf.h>

typedef __u8 u8;
typedef __u32 u32;
typedef __u64 u64;
typedef __u32 dev_t;

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

struct super_block {
	dev_t s_dev;
};

struct inode {
	unsigned long i_ino;
	__u32 i_generation;
	struct super_block *i_sb;
};

struct address_space {
	struct inode *host;
};

/* 6.18 wraps page flags in memdesc_flags_t; older kernels use a bare
 * unsigned long.  Both flavors are declared; the loader keeps the one that
 * matches. */
typedef struct {
	unsigned long f;
} memdesc_flags_t;

struct folio {
	memdesc_flags_t flags;
	struct address_space *mapping;
	unsigned long _flags_1;  /* order in the low byte since 6.6; tail page flags before */
};

struct folio___ulong {
	unsigned long flags;
	unsigned char _folio_order;  /* 6.1-6.5 (gone in 6.6): check it first */
};

/* kernfs_node.parent became __parent in 6.15; both flavors are declared. */
typedef struct {
	__u32 val;
} kuid_t;

/* Who owns a kernfs node: NULL iattr means root, as created by the kernel
 * or root; a node made by another user (a delegated cgroup subtree) has its
 * uid here. */
struct kernfs_iattrs {
	kuid_t ia_uid;
};

struct kernfs_node {
	struct kernfs_node *__parent;
	const char *name;
	__u64 id;  /* a cgroup's id in its hierarchy (the directory's inode) */
	struct kernfs_iattrs *iattr;
};

struct kernfs_node___old {
	struct kernfs_node *parent;
};

struct cgroup {
	struct kernfs_node *kn;
	int level;
};

struct cgroup_subsys_state {
	struct cgroup *cgroup;
};

struct css_set {
	struct cgroup_subsys_state *subsys[16];
	struct cgroup *dfl_cgrp;
};

/* Relocated by name: the memory controller's index in css_set.subsys. */
enum cgroup_subsys_id {
	memory_cgrp_id = 0,
};

/* A pid as each pid namespace from the root down to the task's own
 * numbers it (numbers[0]: the initial namespace). */
struct ns_common {
	unsigned int inum;
};

struct pid_namespace {
	struct ns_common ns;
};

struct upid {
	int nr;
	struct pid_namespace *ns;
};

struct pid {
	unsigned int level;
	struct upid numbers[1];
};

/* uids as the initial user namespace numbers them (kuid_t). */
struct cred {
	kuid_t uid;
	kuid_t euid;
};

struct task_struct {
	const struct cred *cred;
	struct task_struct *real_parent;
	struct task_struct *group_leader;
	struct pid *thread_pid;
	struct css_set *cgroups;
	char comm[16];
};

struct trace_entry {
	unsigned short type;
};

struct trace_event_raw_mm_filemap_op_page_cache {
	struct trace_entry ent;
	unsigned long i_ino;
	dev_t s_dev;
	unsigned char order;  /* since 6.8; absent means order 0 */
};

struct trace_event_raw_writeback_folio_template {
	struct trace_entry ent;
	unsigned long ino;
};

#pragma clang attribute pop

enum pageflags {
	PG_head = 6,
};
