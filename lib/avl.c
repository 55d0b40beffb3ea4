// SPDX-License-Identifier: LGPL-2.1-or-later
#include "avl.h"

static int height(const struct ndx_avl_node *n)
{
	return n ? n->height : 0;
}

static void recompute(struct ndx_avl_tree *t, struct ndx_avl_node *n)
{
	int l = height(n->left), r = height(n->right);

	n->height = 1 + (l > r ? l : r);
	if (t->augment)
		t->augment(n);
}

static void replace_child(struct ndx_avl_tree *t, struct ndx_avl_node *parent,
		struct ndx_avl_node *old, struct ndx_avl_node *new)
{
	if (!parent)
		t->root = new;
	else if (parent->left == old)
		parent->left = new;
	else
		parent->right = new;
	if (new)
		new->parent = parent;
}

/* x's right child takes x's place; returns it */
static struct ndx_avl_node *rotate_left(struct ndx_avl_tree *t, struct ndx_avl_node *x)
{
	struct ndx_avl_node *y = x->right;

	x->right = y->left;
	if (y->left)
		y->left->parent = x;
	replace_child(t, x->parent, x, y);
	y->left = x;
	x->parent = y;
	recompute(t, x);
	recompute(t, y);
	return y;
}

static struct ndx_avl_node *rotate_right(struct ndx_avl_tree *t, struct ndx_avl_node *x)
{
	struct ndx_avl_node *y = x->left;

	x->left = y->right;
	if (y->right)
		y->right->parent = x;
	replace_child(t, x->parent, x, y);
	y->right = x;
	x->parent = y;
	recompute(t, x);
	recompute(t, y);
	return y;
}

/* From n up to the root: recompute, rotate where the balance is off by 2. */
static void rebalance(struct ndx_avl_tree *t, struct ndx_avl_node *n)
{
	while (n) {
		int bal;

		recompute(t, n);
		bal = height(n->left) - height(n->right);
		if (bal > 1) {
			if (height(n->left->left) < height(n->left->right))
				rotate_left(t, n->left);
			n = rotate_right(t, n);
		} else if (bal < -1) {
			if (height(n->right->right) < height(n->right->left))
				rotate_right(t, n->right);
			n = rotate_left(t, n);
		}
		n = n->parent;
	}
}

void ndx_avl_link(struct ndx_avl_tree *t, struct ndx_avl_node *n,
		struct ndx_avl_node *parent, int left)
{
	n->left = n->right = NULL;
	n->parent = parent;
	n->height = 1;
	if (!parent)
		t->root = n;
	else if (left)
		parent->left = n;
	else
		parent->right = n;
	rebalance(t, n);
}

void ndx_avl_erase(struct ndx_avl_tree *t, struct ndx_avl_node *n)
{
	struct ndx_avl_node *start, *child, *succ;

	if (n->left && n->right) {
		/* the successor takes n's place in the tree */
		succ = n->right;
		while (succ->left)
			succ = succ->left;
		if (succ->parent == n) {
			start = succ;
		} else {
			start = succ->parent;
			start->left = succ->right;
			if (succ->right)
				succ->right->parent = start;
			succ->right = n->right;
			n->right->parent = succ;
		}
		succ->left = n->left;
		n->left->parent = succ;
		replace_child(t, n->parent, n, succ);
		rebalance(t, start);
	} else {
		child = n->left ? n->left : n->right;
		start = n->parent;
		replace_child(t, n->parent, n, child);
		rebalance(t, start);
	}
	n->left = n->right = n->parent = NULL;
}

void ndx_avl_update(struct ndx_avl_tree *t, struct ndx_avl_node *n)
{
	for (; n; n = n->parent)
		recompute(t, n);
}

/* the middle node roots [lo, hi): both halves differ by one node at most */
static struct ndx_avl_node *build(struct ndx_avl_tree *t, struct ndx_avl_node **nodes,
		size_t lo, size_t hi, struct ndx_avl_node *parent)
{
	size_t mid = lo + (hi - lo) / 2;
	struct ndx_avl_node *n;

	if (lo >= hi)
		return NULL;
	n = nodes[mid];
	n->parent = parent;
	n->left = build(t, nodes, lo, mid, n);
	n->right = build(t, nodes, mid + 1, hi, n);
	recompute(t, n);
	return n;
}

void ndx_avl_build(struct ndx_avl_tree *t, struct ndx_avl_node **nodes, size_t n)
{
	t->root = build(t, nodes, 0, n, NULL);
}

struct ndx_avl_node *ndx_avl_first(const struct ndx_avl_tree *t)
{
	struct ndx_avl_node *n = t->root;

	while (n && n->left)
		n = n->left;
	return n;
}

struct ndx_avl_node *ndx_avl_last(const struct ndx_avl_tree *t)
{
	struct ndx_avl_node *n = t->root;

	while (n && n->right)
		n = n->right;
	return n;
}

struct ndx_avl_node *ndx_avl_next(const struct ndx_avl_node *n)
{
	if (n->right) {
		n = n->right;
		while (n->left)
			n = n->left;
		return (struct ndx_avl_node *)n;
	}
	while (n->parent && n->parent->right == n)
		n = n->parent;
	return n->parent;
}

struct ndx_avl_node *ndx_avl_prev(const struct ndx_avl_node *n)
{
	if (n->left) {
		n = n->left;
		while (n->right)
			n = n->right;
		return (struct ndx_avl_node *)n;
	}
	while (n->parent && n->parent->left == n)
		n = n->parent;
	return n->parent;
}

static int check_subtree(const struct ndx_avl_node *n, const struct ndx_avl_node *parent)
{
	int l, r;

	if (!n)
		return 0;
	if (n->parent != parent)
		return -1;
	l = check_subtree(n->left, n);
	r = check_subtree(n->right, n);
	if (l < 0 || r < 0 || l - r > 1 || r - l > 1)
		return -1;
	if (n->height != 1 + (l > r ? l : r))
		return -1;
	return n->height;
}

int ndx_avl_check(const struct ndx_avl_tree *t)
{
	return check_subtree(t->root, NULL) < 0 ? -1 : 0;
}
