/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An intrusive AVL tree with parent pointers and an optional augment
 * callback.  The caller embeds struct ndx_avl_node in its records and
 * walks the tree itself for searches (it knows its keys); the tree only
 * links, unlinks and rebalances.  After any structural change every node
 * on the path to the root is recomputed (height, then augment), so an
 * augment such as "largest free run in this subtree" stays exact at a
 * cost of O(log n) per change.
 */
#ifndef NDCTL_XEN_AVL_H
#define NDCTL_XEN_AVL_H

#include <stddef.h>

struct ndx_avl_node {
	struct ndx_avl_node *left, *right, *parent;
	int height; /* of the subtree: a leaf is 1 */
};

struct ndx_avl_tree {
	struct ndx_avl_node *root;
	/* recompute a node's augmented value from its children; may be NULL */
	void (*augment)(struct ndx_avl_node *n);
};

#define ndx_avl_entry(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

/*
 * Link n as a leaf under parent (NULL: the tree is empty) on the given
 * side (left != 0), then rebalance.  The caller found parent and side by
 * descending with its own comparison.
 */
void ndx_avl_link(struct ndx_avl_tree *t, struct ndx_avl_node *n,
		struct ndx_avl_node *parent, int left);
void ndx_avl_erase(struct ndx_avl_tree *t, struct ndx_avl_node *n);
/* n's own augmented inputs changed (not its key): fix n and its ancestors */
void ndx_avl_update(struct ndx_avl_tree *t, struct ndx_avl_node *n);

/*
 * Make t (empty) the balanced tree of nodes[0..n), already in key order,
 * in O(n) without a rotation: loading a map of a million ranges this way
 * costs a tenth of linking them one by one.
 */
void ndx_avl_build(struct ndx_avl_tree *t, struct ndx_avl_node **nodes, size_t n);

struct ndx_avl_node *ndx_avl_first(const struct ndx_avl_tree *t);
struct ndx_avl_node *ndx_avl_last(const struct ndx_avl_tree *t);
struct ndx_avl_node *ndx_avl_next(const struct ndx_avl_node *n);
struct ndx_avl_node *ndx_avl_prev(const struct ndx_avl_node *n);

/* For tests: 0 when heights, balance and parent links are right, else -1 */
int ndx_avl_check(const struct ndx_avl_tree *t);

#endif
