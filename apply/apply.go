package apply

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/inbox-manager/inboxctl/api"
	"github.com/inbox-manager/inboxctl/plan"
)

// API is the part of the admin API client that apply uses: the writes that carry out changes and
// the reads of the stale-plan check and of id lookups. *api.Client implements it.
type API interface {
	ListUsers(ctx context.Context, applicationID string) ([]api.User, error)
	GetUser(ctx context.Context, userID string) (*api.User, error)
	CreateUser(ctx context.Context, applicationID string, req api.CreateUserRequest) (*api.User, error)
	UpdateUser(ctx context.Context, userID string, req api.UpdateUserRequest) (*api.User, error)
	DeleteUser(ctx context.Context, userID string) error

	GetAccount(ctx context.Context, accountID string) (*api.Account, error)
	ListChildAccounts(ctx context.Context, accountID string) ([]api.Account, error)
	CreateAccount(ctx context.Context, parentID string, req api.CreateAccountRequest) (*api.Account, error)
	UpdateAccount(ctx context.Context, accountID string, req api.UpdateAccountRequest) (*api.Account, error)
	DeleteAccount(ctx context.Context, accountID string) error

	ListMembers(ctx context.Context, accountID string) ([]api.Member, error)
	AddMember(ctx context.Context, accountID string, req api.CreateMemberRequest) (*api.Member, error)
	UpdateMember(ctx context.Context, accountID, memberID string, req api.UpdateMemberRequest) (*api.Member, error)
	RemoveMember(ctx context.Context, accountID, memberID string) error

	ListAppClients(ctx context.Context) ([]api.AppClientSummary, error)
	GetAppClient(ctx context.Context, id string) (*api.AppClient, error)
	CreateAppClient(ctx context.Context, req api.CreateAppClientRequest) (*api.AppClientCreated, error)
	UpdateAppClient(ctx context.Context, id string, req api.UpdateAppClientRequest) (*api.AppClient, error)
	DeleteAppClient(ctx context.Context, id string) error
}

var _ API = (*api.Client)(nil)

// DefaultParallelism is the number of changes in flight when Options.Parallelism is not set.
const DefaultParallelism = 8

// Options tune Run.
type Options struct {
	// Parallelism is the most changes in flight at once; 0 means DefaultParallelism.
	Parallelism int
	// Owner is the value of the managed-by marker that creates and adoptions set; "" means the
	// plan's Target.Owner.
	Owner string
}

// Observer receives the events of a run (like terraform's PreApply/PostApply hooks). Run calls
// it from a single goroutine, one event at a time, so an implementation needs no locking; it
// should return quickly, since the scheduler waits for it.
type Observer interface {
	// Started is called when change i is about to be sent.
	Started(i int, ch plan.Change)
	// Finished is called when change i is done or failed, and also, without Started, when it
	// is skipped because a change it depends on failed.
	Finished(i int, ch plan.Change, r ChangeResult)
}

// Status is the outcome of one change.
type Status string

// The outcomes of a change.
const (
	StatusDone       Status = "done"
	StatusFailed     Status = "failed"
	StatusSkipped    Status = "skipped"     // a change it depends on failed
	StatusNotStarted Status = "not_started" // the run was interrupted before it started
)

// ChangeResult is what happened to one change of the plan.
type ChangeResult struct {
	Index  int         `json:"index"`
	Action plan.Action `json:"action"`
	Kind   plan.Kind   `json:"kind"`
	Key    string      `json:"key"`
	Status Status      `json:"status"`
	// ID is the id of the resource the change acted on: the new id for a create or replace.
	ID string `json:"id,omitempty"`
	// Error says why the change failed, or for a skipped change which failed change it
	// depended on.
	Error    string        `json:"error,omitempty"`
	Duration time.Duration `json:"duration"`
	// Attempts counts the HTTP requests the change made, retries included.
	Attempts int `json:"attempts"`
}

// Result is the outcome of a run: one ChangeResult per change of the plan, in plan order, and
// the totals.
type Result struct {
	Changes    []ChangeResult
	Done       int
	Failed     int
	Skipped    int
	NotStarted int
	// Interrupted says that the context was cancelled (a user interrupt) before every change
	// had started.
	Interrupted bool
	// DeadlineExceeded says that the context's deadline passed before every change had
	// started. A deadline is not an interrupt: the two are never both set.
	DeadlineExceeded bool
	Started          time.Time
	Duration         time.Duration
}

// ErrPartial is returned (wrapped) by Run when some changes failed or were skipped: the plan is
// partly applied (exit code 3).
var ErrPartial = errors.New("apply: partly applied")

// ErrInterrupted is returned (wrapped) by Run when its context was cancelled before every
// change had started (exit code 130).
var ErrInterrupted = errors.New("apply: interrupted")

// ErrDeadline is returned (wrapped) by Run when its context's deadline passed before every change
// had started. The error also wraps ErrPartial when some change was done, failed or skipped;
// alone, it means that nothing was sent.
var ErrDeadline = errors.New("apply: deadline exceeded")

// runError is an error of Run that wraps several sentinels.
type runError struct {
	msg  string
	errs []error
}

func (e *runError) Error() string   { return e.msg }
func (e *runError) Unwrap() []error { return e.errs }

// Run carries out the changes of p through c, each as soon as the changes it depends on have
// succeeded, with at most opts.Parallelism in flight. obs may be nil.
//
// Cancelling ctx stops new changes from starting; the requests in flight are sent with
// context.WithoutCancel(ctx) and finish (the API client bounds each request's own time), so no
// change is left half done by an interrupt. A deadline on ctx stops new changes the same way.
// Run returns the Result in every case, with a nil error when every change is done, an error
// wrapping ErrInterrupted when the run was interrupted, one wrapping ErrDeadline (and ErrPartial
// if anything was done, failed or skipped) when the deadline passed first, one wrapping
// ErrPartial when changes failed or were skipped, and another error, before anything is sent,
// when the plan's dependencies are invalid.
func Run(ctx context.Context, p *plan.Plan, c API, opts Options, obs Observer) (*Result, error) {
	if opts.Parallelism <= 0 {
		opts.Parallelism = DefaultParallelism
	}
	if opts.Owner == "" {
		opts.Owner = p.Target.Owner
	}
	if obs == nil {
		obs = nopObserver{}
	}
	dependents, waiting, err := graph(p)
	if err != nil {
		return nil, err
	}
	res := &Result{Changes: make([]ChangeResult, len(p.Changes)), Started: time.Now()}
	for i, ch := range p.Changes {
		res.Changes[i] = ChangeResult{Index: i, Action: ch.Action, Kind: ch.Kind, Key: ch.Key, Status: StatusNotStarted}
	}
	ex := newExecutor(p, c, opts.Owner)
	work := context.WithoutCancel(ctx)

	type finished struct {
		i int
		r ChangeResult
	}
	results := make(chan finished, opts.Parallelism)
	ready := &indexHeap{}
	for i := range p.Changes {
		if waiting[i] == 0 {
			heap.Push(ready, i)
		}
	}
	stop := ctx.Done()
	stopped, inflight := false, 0
	for {
		for !stopped && inflight < opts.Parallelism && ready.Len() > 0 {
			if ctx.Err() != nil {
				stopped = true
				break
			}
			i := heap.Pop(ready).(int)
			obs.Started(i, p.Changes[i])
			inflight++
			go func() {
				start := time.Now()
				r := ex.execute(work, i)
				r.Duration = time.Since(start)
				results <- finished{i, r}
			}()
		}
		if inflight == 0 {
			break
		}
		select {
		case f := <-results:
			inflight--
			cr := &res.Changes[f.i]
			cr.Status, cr.ID, cr.Error = f.r.Status, f.r.ID, f.r.Error
			cr.Duration, cr.Attempts = f.r.Duration, f.r.Attempts
			obs.Finished(f.i, p.Changes[f.i], *cr)
			if cr.Status == StatusDone {
				for _, j := range dependents[f.i] {
					waiting[j]--
					if waiting[j] == 0 && res.Changes[j].Status == StatusNotStarted {
						heap.Push(ready, j)
					}
				}
			} else {
				skipDependents(p, res, dependents, f.i, obs)
			}
		case <-stop:
			stopped, stop = true, nil
		}
	}
	for _, cr := range res.Changes {
		switch cr.Status {
		case StatusDone:
			res.Done++
		case StatusFailed:
			res.Failed++
		case StatusSkipped:
			res.Skipped++
		case StatusNotStarted:
			res.NotStarted++
		}
	}
	if res.NotStarted > 0 && ctx.Err() != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			res.DeadlineExceeded = true
		} else {
			res.Interrupted = true
		}
	}
	res.Duration = time.Since(res.Started)
	switch {
	case res.DeadlineExceeded && res.Done+res.Failed+res.Skipped == 0:
		return res, &runError{msg: ErrDeadline.Error() + " before any change started: nothing was changed", errs: []error{ErrDeadline}}
	case res.DeadlineExceeded:
		return res, &runError{
			msg: fmt.Sprintf("%v, partly applied: %d done, %d failed, %d skipped, %d not started",
				ErrDeadline, res.Done, res.Failed, res.Skipped, res.NotStarted),
			errs: []error{ErrDeadline, ErrPartial},
		}
	case res.Interrupted:
		return res, fmt.Errorf("%w: %d done, %d failed, %d skipped, %d not started", ErrInterrupted, res.Done, res.Failed, res.Skipped, res.NotStarted)
	case res.Failed+res.Skipped+res.NotStarted > 0:
		return res, fmt.Errorf("%w: %d done, %d failed, %d skipped", ErrPartial, res.Done, res.Failed, res.Skipped)
	}
	return res, nil
}

// skipDependents marks every change that depends on change failed, directly or through other
// changes, as skipped, naming the failed change.
func skipDependents(p *plan.Plan, res *Result, dependents [][]int, failed int, obs Observer) {
	reason := fmt.Sprintf("skipped: depends on %s %s %q, which failed", p.Changes[failed].Action, p.Changes[failed].Kind, p.Changes[failed].Key)
	queue := append([]int(nil), dependents[failed]...)
	for len(queue) > 0 {
		j := queue[0]
		queue = queue[1:]
		if res.Changes[j].Status != StatusNotStarted {
			continue
		}
		res.Changes[j].Status = StatusSkipped
		res.Changes[j].Error = reason
		obs.Finished(j, p.Changes[j], res.Changes[j])
		queue = append(queue, dependents[j]...)
	}
}

// graph checks the plan's dependencies (indexes in range, no cycle) and returns, for each
// change, the changes that depend on it and the number of changes it waits for.
func graph(p *plan.Plan) (dependents [][]int, waiting []int, err error) {
	n := len(p.Changes)
	dependents = make([][]int, n)
	waiting = make([]int, n)
	for i, ch := range p.Changes {
		seen := make(map[int]bool, len(ch.DependsOn))
		for _, d := range ch.DependsOn {
			if d < 0 || d >= n || d == i {
				return nil, nil, fmt.Errorf("apply: change %d (%s %s %q) depends on change %d, which is not in the plan", i, ch.Action, ch.Kind, ch.Key, d)
			}
			if seen[d] {
				continue
			}
			seen[d] = true
			dependents[d] = append(dependents[d], i)
			waiting[i]++
		}
	}
	// Kahn's algorithm: every change must be reachable from the ones that wait for nothing.
	left := append([]int(nil), waiting...)
	queue := make([]int, 0, n)
	for i := range n {
		if left[i] == 0 {
			queue = append(queue, i)
		}
	}
	for k := 0; k < len(queue); k++ {
		for _, j := range dependents[queue[k]] {
			left[j]--
			if left[j] == 0 {
				queue = append(queue, j)
			}
		}
	}
	if len(queue) < n {
		for i := range n {
			if left[i] > 0 {
				ch := p.Changes[i]
				return nil, nil, fmt.Errorf("apply: the plan's dependencies form a cycle through change %d (%s %s %q)", i, ch.Action, ch.Kind, ch.Key)
			}
		}
	}
	return dependents, waiting, nil
}

// indexHeap hands out ready changes lowest index first, so a run follows the plan's order as
// far as parallelism allows.
type indexHeap []int

func (h indexHeap) Len() int           { return len(h) }
func (h indexHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h indexHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *indexHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *indexHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

type nopObserver struct{}

func (nopObserver) Started(int, plan.Change)                {}
func (nopObserver) Finished(int, plan.Change, ChangeResult) {}
