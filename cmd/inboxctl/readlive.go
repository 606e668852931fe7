package main

import (
	"context"
	"fmt"
	"time"

	"github.com/inbox-manager/inboxctl/api"
	"github.com/inbox-manager/inboxctl/live"
	"github.com/inbox-manager/inboxctl/spec"
)

// readLive reads the live state in the scope of desired and says on stderr what the read cost:
// how many resources and API requests, and how long (a plan on a big tenant should show why it
// takes the time it takes, and that it reads lists, not items).
func readLive(ctx context.Context, c live.Client, desired *spec.State, parallelism int, s *streams) (*spec.State, error) {
	var n api.Counter
	start := time.Now()
	lv, err := live.Read(api.WithCounter(ctx, &n), c, desired, live.Options{Parallelism: parallelism})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(s.Err, "Read the live state: %d users, %d accounts, %d members, %d app clients in %d API requests (%s).\n",
		len(lv.Users), len(lv.Accounts), len(lv.Members), len(lv.AppClients), n.Requests.Load(), time.Since(start).Round(time.Millisecond))
	return lv, nil
}
