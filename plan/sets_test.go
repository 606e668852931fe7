package plan

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/inbox-manager/inboxctl/spec"
)

// TestRedirectURLsCompareAsSets: redirect URLs (and starter emails) compare as sets, duplicates on
// either side ignored: live may hold duplicates, as the API stores the list as given (finding 3b).
func TestRedirectURLsCompareAsSets(t *testing.T) {
	const arn = "arn:appclient/1"
	tests := []struct {
		name          string
		desired, live []string // redirect URLs
		want          []string // brief of the plan
		wantAfter     []string // the update's redirect URLs, when there is one
	}{
		{name: "same set, duplicates live", desired: []string{"https://a", "https://b"}, live: []string{"https://b", "https://a", "https://a"}, want: []string{}},
		{name: "same set, duplicates desired", desired: []string{"https://a", "https://a"}, live: []string{"https://a"}, want: []string{}},
		{name: "same set, duplicates on both sides", desired: []string{"https://b", "https://a", "https://b"}, live: []string{"https://a", "https://a", "https://b"}, want: []string{}},
		{
			name: "other set, duplicates live: the update sends each URL once", desired: []string{"https://a", "https://c"}, live: []string{"https://a", "https://a"},
			want: []string{"update appClient App [redirectUrls]"}, wantAfter: []string{"https://a", "https://c"},
		},
		{
			name: "other set, duplicates desired", desired: []string{"https://c", "https://c"}, live: []string{"https://a"},
			want: []string{"update appClient App [redirectUrls]"}, wantAfter: []string{"https://c"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, l := newDesired(), newLive()
			d.AppClients = []spec.AppClient{{AppName: "App", RedirectURLs: tt.desired, StarterUserEmails: []string{"S@x.com"}}}
			l.AppClients = []spec.AppClient{client("App", "", tt.live, []string{"s@x.com", "s@x.com"}, arn)}
			p := mustCompute(t, d, l, Options{MaxDeletePercent: 100})
			if diff := cmp.Diff(tt.want, brief(p)); diff != "" {
				t.Errorf("plan (-want +got):\n%s", diff)
			}
			if tt.wantAfter == nil || len(p.Changes) != 1 {
				return
			}
			c := p.Changes[0]
			if diff := cmp.Diff(tt.wantAfter, c.After.RedirectURLs); diff != "" {
				t.Errorf("after redirect URLs (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(l.AppClients[0].RedirectURLs, c.Before.RedirectURLs); diff != "" {
				t.Errorf("before must be the live list as read, for the stale check (-want +got):\n%s", diff)
			}
		})
	}
}
