package plan

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/inbox-manager/inboxctl/spec"
)

// DriftKind is one of the three kinds of drift `inboxctl drift` reports.
type DriftKind string

// The kinds of drift.
const (
	// DriftChanged is a managed resource that differs from the files: a declared resource whose
	// fields (or marker) differ, or a resource this state manages that is no longer declared
	// (which plan deletes, or, with prune: false, keeps).
	DriftChanged DriftKind = "changed"
	// DriftMissing is a declared resource that does not exist live.
	DriftMissing DriftKind = "missing"
	// DriftUnmanaged is a live user or account in scope that nobody manages here: unmarked or
	// carrying another owner's marker, not declared and not ignored.
	DriftUnmanaged DriftKind = "unmanaged"
)

// DriftItem is one drifted resource.
type DriftItem struct {
	Drift  DriftKind `json:"drift"`
	Kind   Kind      `json:"kind"`
	Key    string    `json:"key"`
	Action Action    `json:"action,omitempty"` // what plan would do about it, if anything
	Fields []string  `json:"fields,omitempty"`
	Owner  string    `json:"owner,omitempty"` // unmanaged: the other owner's marker, "" when unmarked
	Source string    `json:"source,omitempty"`
	// Note explains a changed item that no change of the plan is about: a resource this state
	// manages but does not declare, which apply keeps (prune: false, or an account that holds
	// what this state may not delete).
	Note string `json:"note,omitempty"`
	// Values holds, for a changed resource that plan would update or replace, the live and the
	// desired value of each field that differs, so that the report shows them and the digest
	// changes when they do.
	Values []DriftValue `json:"values,omitempty"`
}

// DriftValue is the live and the desired value of one drifted field. A value is a string, a
// []string (redirectUrls, starterUserEmails), or nil when the field is not set (no marker, no
// name). The state holds no secret, so neither does a value.
type DriftValue struct {
	Field   string `json:"field"`
	Live    any    `json:"live"`
	Desired any    `json:"desired"`
}

// DriftCounts counts drift items by kind of drift.
type DriftCounts struct {
	Changed   int `json:"changed"`
	Missing   int `json:"missing"`
	Unmanaged int `json:"unmanaged"`
}

// DriftReport is the outcome of ComputeDrift.
type DriftReport struct {
	FormatVersion string      `json:"format_version"`
	Target        Target      `json:"target"`
	Counts        DriftCounts `json:"counts"`
	// Digest is "sha256:" and the hex SHA-256 of the sorted drift items, the same for the same
	// drift whatever the order of the inputs, so an alert for one drift is sent once. Empty
	// when there is no drift.
	Digest   string      `json:"digest"`
	Items    []DriftItem `json:"items"`
	Warnings []string    `json:"warnings,omitempty"`
}

// HasDrift reports whether d found any drift.
func (d *DriftReport) HasDrift() bool { return d != nil && len(d.Items) > 0 }

// ComputeDrift compares desired and live as Compute does and reports the drift: managed
// resources that differ from the files, declared resources that are missing, and live users and
// accounts in scope that nobody manages. It fails where Compute fails.
func ComputeDrift(desired, live *spec.State, opts Options) (*DriftReport, error) {
	p, b, err := compute(desired, live, opts)
	if err != nil {
		return nil, err
	}
	d := &DriftReport{FormatVersion: FormatVersion, Target: p.Target, Items: []DriftItem{}, Warnings: p.Warnings}
	deleted := map[string]bool{} // kind and key of every planned delete
	for i := range p.Changes {
		c := &p.Changes[i]
		it := DriftItem{Drift: DriftChanged, Kind: c.Kind, Key: c.Key, Action: c.Action, Fields: c.Fields, Source: c.Source}
		if c.Action == Create {
			it.Drift, it.Fields = DriftMissing, nil
		}
		if c.Action == Delete {
			deleted[string(c.Kind)+"\x00"+c.Key] = true
		}
		it.Values = driftValues(c)
		d.Items = append(d.Items, it)
	}
	// What this state manages but does not declare and no planned delete removes: all of it with
	// prune: false, and with prune: true an account kept because it holds what may not be deleted.
	keptNote := "not declared; kept: it holds what this state may not delete"
	if !desired.Prune {
		keptNote = "not declared; prune is off, so apply keeps it"
	}
	kept := func(kind Kind, key string) {
		if !deleted[string(kind)+"\x00"+key] {
			d.Items = append(d.Items, DriftItem{Drift: DriftChanged, Kind: kind, Key: key, Note: keptNote})
		}
	}
	ours := func(marker string) bool { return desired.Owner != "" && marker == desired.Owner }
	if desired.Mentions.Users {
		declared := make(map[string]bool, len(desired.Users))
		for _, u := range desired.Users {
			declared[strings.ToLower(u.Email)] = true
		}
		for _, u := range live.Users {
			email := strings.ToLower(u.Email)
			switch {
			case declared[email] || b.ignoredUser(email):
			case ours(u.Owner):
				kept(KindUser, email)
			default:
				d.Items = append(d.Items, DriftItem{Drift: DriftUnmanaged, Kind: KindUser, Key: email, Owner: u.Owner})
			}
		}
	}
	if desired.Mentions.Accounts {
		matched := make(map[*spec.Account]bool, len(b.acctMatch))
		for _, l := range b.acctMatch {
			matched[l] = true
		}
		for i := range live.Accounts {
			a := &live.Accounts[i]
			np, ok := b.newPath[a.Path]
			if !ok {
				np = a.Path
			}
			switch {
			case matched[a] || b.desiredAcct[np] != nil || b.desiredAcct[a.Path] != nil || b.ignoredLive(a.Path):
			case ours(a.Owner):
				kept(KindAccount, np)
			default:
				d.Items = append(d.Items, DriftItem{Drift: DriftUnmanaged, Kind: KindAccount, Key: a.Path, Owner: a.Owner})
			}
		}
	}
	declaredMembers := make(map[string]bool, len(desired.Members))
	for _, m := range desired.Members {
		declaredMembers[spec.MemberKey(m.AccountPath, strings.ToLower(m.User))] = true
	}
	for _, m := range live.Members {
		np, ok := b.newPath[m.AccountPath]
		if !ok {
			np = m.AccountPath
		}
		email := strings.ToLower(m.User)
		k := spec.MemberKey(np, email)
		if declaredMembers[k] || !b.managesMembersOf(np) || b.ignoredLive(m.AccountPath) || b.ignoredUser(email) {
			continue
		}
		kept(KindMember, k)
	}
	if desired.Mentions.AppClients {
		declared := make(map[string]bool, len(desired.AppClients))
		for _, c := range desired.AppClients {
			declared[c.AppName] = true
		}
		for _, c := range live.AppClients {
			if !declared[c.AppName] && !b.ignoredAppClient(c.AppName) {
				kept(KindAppClient, c.AppName)
			}
		}
	}
	sort.Slice(d.Items, func(i, j int) bool { return driftLess(&d.Items[i], &d.Items[j]) })
	for _, it := range d.Items {
		switch it.Drift {
		case DriftChanged:
			d.Counts.Changed++
		case DriftMissing:
			d.Counts.Missing++
		case DriftUnmanaged:
			d.Counts.Unmanaged++
		}
	}
	d.Digest = driftDigest(d.Items)
	return d, nil
}

// appClientFields are the fields of an app client, in the order a report shows them.
var appClientFields = []string{fieldDescription, fieldRedirects, fieldStarters, fieldCMK}

// driftValues returns the live and desired values of what c changes: the fields of an update;
// for a replacement the forcing fields and every other field that differs.
func driftValues(c *Change) []DriftValue {
	if c.Before == nil || c.After == nil || (c.Action != Update && c.Action != Replace) {
		return nil
	}
	fields := c.Fields
	if c.Action == Replace {
		fields = nil
		for _, f := range appClientFields {
			if slices.Contains(c.Fields, f) || fieldValue(c.Before, f) != fieldValue(c.After, f) {
				fields = append(fields, f)
			}
		}
	}
	out := make([]DriftValue, 0, len(fields))
	for _, f := range fields {
		out = append(out, DriftValue{Field: f, Live: rawField(c.Before, f), Desired: rawField(c.After, f)})
	}
	return out
}

// rawField returns one field of v as a DriftValue holds it.
func rawField(v *Values, field string) any {
	ptr := func(p *string) any {
		if p == nil {
			return nil
		}
		return *p
	}
	switch field {
	case fieldName:
		return ptr(v.Name)
	case fieldStatus:
		return v.Status
	case fieldManagedBy:
		if v.Owner == "" {
			return nil
		}
		return v.Owner
	case fieldRole:
		return v.Role
	case fieldRedirects:
		return slices.Clone(v.RedirectURLs)
	case fieldDescription:
		return ptr(v.Description)
	case fieldStarters:
		return slices.Clone(v.StarterUserEmails)
	case fieldCMK:
		return ptr(v.CustomerManagedKeyARN)
	}
	return nil
}

// formatRaw formats a DriftValue's value as the text plan shows values.
func formatRaw(v any) string {
	switch x := v.(type) {
	case string:
		return quote(x)
	case []string:
		return quoteList(x)
	}
	return "(none)"
}

func driftLess(a, b *DriftItem) bool {
	if a.Drift != b.Drift {
		return a.Drift < b.Drift
	}
	if ka, kb := kindRank(a.Kind), kindRank(b.Kind); ka != kb {
		return ka < kb
	}
	return a.Key < b.Key
}

// driftDigest hashes a canonical line per item, sorted, so the digest does not depend on the
// order the inputs came in.
func driftDigest(items []DriftItem) string {
	if len(items) == 0 {
		return ""
	}
	lines := make([]string, len(items))
	for i, it := range items {
		fields := append([]string(nil), it.Fields...)
		sort.Strings(fields)
		values, err := json.Marshal(it.Values) // strings and lists of strings only
		if err != nil {
			panic(err)
		}
		lines[i] = strings.Join([]string{string(it.Drift), string(it.Kind), it.Key, string(it.Action), strings.Join(fields, ","), it.Owner, string(values)}, "\x1f")
	}
	sort.Strings(lines)
	h := sha256.New()
	for _, l := range lines {
		h.Write([]byte(l))
		h.Write([]byte{'\n'})
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// DriftSummaryLine returns "Drift: 1 changed, 2 missing, 3 unmanaged." or "No drift.".
func DriftSummaryLine(d *DriftReport) string {
	if !d.HasDrift() {
		return "No drift."
	}
	return fmt.Sprintf("Drift: %d changed, %d missing, %d unmanaged.", d.Counts.Changed, d.Counts.Missing, d.Counts.Unmanaged)
}

func driftSymbol(k DriftKind) string {
	switch k {
	case DriftChanged:
		return "~"
	case DriftMissing:
		return "+"
	default:
		return "?"
	}
}

func (it *DriftItem) detail() string {
	switch {
	case it.Drift == DriftUnmanaged && it.Owner == "":
		return "unmarked"
	case it.Drift == DriftUnmanaged:
		return fmt.Sprintf("managed by %q", it.Owner)
	case it.Note != "":
		return it.Note
	case it.Action == Delete:
		return "not declared; plan deletes it"
	case len(it.Values) > 0:
		parts := make([]string, len(it.Values))
		for i, v := range it.Values {
			parts[i] = fmt.Sprintf("%s: %s, want %s", v.Field, formatRaw(v.Live), formatRaw(v.Desired))
		}
		return strings.Join(parts, "; ")
	case len(it.Fields) > 0:
		return strings.Join(it.Fields, ", ")
	}
	return ""
}

func (it *DriftItem) displayKey() string {
	c := Change{Kind: it.Kind, Key: it.Key}
	return displayKey(&c)
}

// RenderDriftText writes d for a person: one line per item, the warnings, the summary line and
// the digest.
func RenderDriftText(w io.Writer, d *DriftReport, o TextOptions) error {
	bw := bufio.NewWriter(w)
	for i := range d.Items {
		it := &d.Items[i]
		head := fmt.Sprintf("  %s %-9s %s %s", driftSymbol(it.Drift), it.Drift, it.Kind, it.displayKey())
		color := ansiYellow
		if it.Drift == DriftMissing {
			color = ansiGreen
		} else if it.Drift == DriftUnmanaged {
			color = ansiMagenta
		}
		writeColored(bw, o, color, head)
		if det := it.detail(); det != "" {
			bw.WriteString("  (" + det + ")")
		}
		if it.Source != "" {
			bw.WriteString("  " + it.Source)
		}
		bw.WriteString("\n")
	}
	if len(d.Items) > 0 {
		bw.WriteString("\n")
	}
	for _, warn := range d.Warnings {
		writeColored(bw, o, ansiYellow, "Warning: "+warn)
		bw.WriteString("\n")
	}
	writeColored(bw, o, ansiBold, DriftSummaryLine(d))
	bw.WriteString("\n")
	if d.Digest != "" {
		bw.WriteString("Digest: " + d.Digest + "\n")
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("plan: write drift: %w", err)
	}
	return nil
}

// RenderDriftJSON writes d as indented JSON.
func RenderDriftJSON(w io.Writer, d *DriftReport) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return fmt.Errorf("plan: write drift json: %w", err)
	}
	return nil
}

// DriftMarker is the hidden first line of the markdown drift report.
const DriftMarker = "<!-- inboxctl-drift -->"

// RenderDriftMarkdown writes d for an issue or a chat message: the marker line, the summary,
// the digest and a table capped at o.MaxRows.
func RenderDriftMarkdown(w io.Writer, d *DriftReport, o MarkdownOptions) error {
	max := o.MaxRows
	if max <= 0 {
		max = DefaultMaxRows
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "%s\n**%s**\n", DriftMarker, DriftSummaryLine(d))
	if d.Digest != "" {
		fmt.Fprintf(bw, "\nDigest: `%s`\n", d.Digest)
	}
	for _, warn := range d.Warnings {
		fmt.Fprintf(bw, "\n> :warning: %s\n", mdEscape(warn))
	}
	if d.HasDrift() {
		bw.WriteString("\n| drift | kind | key | detail | source |\n|---|---|---|---|---|\n")
		for i := range d.Items {
			if i == max {
				fmt.Fprintf(bw, "\n… and %d more\n", len(d.Items)-max)
				break
			}
			it := &d.Items[i]
			fmt.Fprintf(bw, "| %s | %s | %s | %s | %s |\n", it.Drift, it.Kind, mdCode(it.Key), mdEscape(it.detail()), mdEscape(it.Source))
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("plan: write drift markdown: %w", err)
	}
	return nil
}
