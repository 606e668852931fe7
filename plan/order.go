package plan

import (
	"container/heap"
	"fmt"
	"slices"
	"strings"
)

// kindRank orders kinds for a deterministic plan: users, accounts, members, app clients.
func kindRank(k Kind) int {
	switch k {
	case KindUser:
		return 0
	case KindAccount:
		return 1
	case KindMember:
		return 2
	default:
		return 3
	}
}

func actionRank(a Action) int {
	switch a {
	case Delete:
		return 0
	case Replace:
		return 1
	case Update:
		return 2
	default:
		return 3
	}
}

// ready is the min-heap of nodes whose dependencies are all placed.
type ready struct {
	nodes []*node
	idx   []int
}

func (r *ready) Len() int { return len(r.idx) }
func (r *ready) Less(i, j int) bool {
	a, b := &r.nodes[r.idx[i]].c, &r.nodes[r.idx[j]].c
	if ka, kb := kindRank(a.Kind), kindRank(b.Kind); ka != kb {
		return ka < kb
	}
	if a.Key != b.Key {
		return a.Key < b.Key
	}
	if ra, rb := actionRank(a.Action), actionRank(b.Action); ra != rb {
		return ra < rb
	}
	return r.idx[i] < r.idx[j]
}
func (r *ready) Swap(i, j int) { r.idx[i], r.idx[j] = r.idx[j], r.idx[i] }
func (r *ready) Push(x any)    { r.idx = append(r.idx, x.(int)) }
func (r *ready) Pop() any {
	x := r.idx[len(r.idx)-1]
	r.idx = r.idx[:len(r.idx)-1]
	return x
}

// order sorts the nodes topologically (a dependency before what depends on it), breaking ties
// by kind, then key, then action, and returns the changes with DependsOn and Cause rewritten as
// indexes into the result. A cycle is an error.
func order(nodes []*node) ([]Change, error) {
	n := len(nodes)
	indeg := make([]int, n)
	dependents := make([][]int, n)
	for i, nd := range nodes {
		nd.deps = dedupe(nd.deps)
		for _, d := range nd.deps {
			if d < 0 || d >= n || d == i {
				return nil, fmt.Errorf("plan: dependency cycle: %s %s depends on itself", nd.c.Kind, nd.c.Key)
			}
			indeg[i]++
			dependents[d] = append(dependents[d], i)
		}
	}
	r := &ready{nodes: nodes}
	for i := range nodes {
		if indeg[i] == 0 {
			r.idx = append(r.idx, i)
		}
	}
	heap.Init(r)
	pos := make([]int, n)
	seq := make([]int, 0, n)
	for r.Len() > 0 {
		i := heap.Pop(r).(int)
		pos[i] = len(seq)
		seq = append(seq, i)
		for _, j := range dependents[i] {
			indeg[j]--
			if indeg[j] == 0 {
				heap.Push(r, j)
			}
		}
	}
	if len(seq) != n {
		var stuck []string
		for i := range nodes {
			if indeg[i] > 0 {
				stuck = append(stuck, string(nodes[i].c.Kind)+" "+nodes[i].c.Key)
			}
		}
		slices.Sort(stuck)
		if len(stuck) > 10 {
			stuck = append(stuck[:10], fmt.Sprintf("and %d more", len(stuck)-10))
		}
		return nil, fmt.Errorf("plan: dependency cycle among %s", strings.Join(stuck, ", "))
	}
	out := make([]Change, n)
	for k, i := range seq {
		c := nodes[i].c
		c.DependsOn = make([]int, 0, len(nodes[i].deps))
		for _, d := range nodes[i].deps {
			c.DependsOn = append(c.DependsOn, pos[d])
		}
		slices.Sort(c.DependsOn)
		c.Cause = -1
		if nodes[i].cause >= 0 {
			c.Cause = pos[nodes[i].cause]
		}
		out[k] = c
	}
	return out, nil
}

func dedupe(s []int) []int {
	if len(s) < 2 {
		return s
	}
	slices.Sort(s)
	return slices.Compact(s)
}
