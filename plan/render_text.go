package plan

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// TextOptions tune RenderText.
type TextOptions struct {
	// Color adds ANSI colours; the caller sets it only for a terminal without NO_COLOR.
	Color bool
}

// ANSI colours of the text output.
const (
	ansiReset   = "\x1b[0m"
	ansiGreen   = "\x1b[32m"
	ansiYellow  = "\x1b[33m"
	ansiRed     = "\x1b[31m"
	ansiMagenta = "\x1b[35m"
	ansiBold    = "\x1b[1m"
)

// sourceColumn is where the file:line of a change starts when its header is shorter.
const sourceColumn = 50

// RenderText writes p in the human format of CONTRACT 3.1: one block per change in the order it
// runs (member deletes caused by an account or user delete are shown indented under it), the
// warnings, and the summary line, or "No changes.".
func RenderText(w io.Writer, p *Plan, o TextOptions) error {
	bw := bufio.NewWriter(w)
	caused := causedBy(p.Changes)
	for i := range p.Changes {
		if p.Changes[i].Cause >= 0 {
			continue // shown under its cause
		}
		writeChange(bw, p.Changes, i, caused, "", o)
	}
	if len(p.Changes) > 0 {
		bw.WriteString("\n")
	}
	for _, w := range p.Warnings {
		writeColored(bw, o, ansiYellow, "Warning: "+w)
		bw.WriteString("\n")
	}
	if len(p.Warnings) > 0 {
		bw.WriteString("\n")
	}
	writeColored(bw, o, ansiBold, SummaryLine(p))
	bw.WriteString("\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("plan: write text: %w", err)
	}
	return nil
}

// SummaryLine returns "Plan: 1 to create, 1 to update, 1 to delete, 1 to replace." or
// "No changes.".
func SummaryLine(p *Plan) string {
	if !p.HasChanges() {
		return "No changes."
	}
	s := p.Summary
	return fmt.Sprintf("Plan: %d to create, %d to update, %d to delete, %d to replace.", s.Create, s.Update, s.Delete, s.Replace)
}

// causedBy maps a change's index to the indexes of the changes it causes, in plan order.
func causedBy(changes []Change) map[int][]int {
	m := map[int][]int{}
	for i := range changes {
		if c := changes[i].Cause; c >= 0 && c < len(changes) && c != i {
			m[c] = append(m[c], i)
		}
	}
	return m
}

func writeColored(w *bufio.Writer, o TextOptions, color, s string) {
	if o.Color {
		w.WriteString(color + s + ansiReset)
		return
	}
	w.WriteString(s)
}

func symbol(a Action) (string, string) {
	switch a {
	case Create:
		return "  +", ansiGreen
	case Update:
		return "  ~", ansiYellow
	case Delete:
		return "  -", ansiRed
	default:
		return "-/+", ansiMagenta
	}
}

// displayKey is a change's key as the text output shows it: app client names are quoted.
func displayKey(c *Change) string {
	if c.Kind == KindAppClient {
		return strconv.Quote(c.Key)
	}
	return c.Key
}

func writeChange(w *bufio.Writer, changes []Change, i int, caused map[int][]int, indent string, o TextOptions) {
	c := &changes[i]
	sym, color := symbol(c.Action)
	head := indent + sym + " " + string(c.Kind) + " " + displayKey(c)
	writeColored(w, o, color, head)
	if c.Source != "" {
		pad := sourceColumn - len(head)
		if pad < 2 {
			pad = 2
		}
		w.WriteString(strings.Repeat(" ", pad))
		w.WriteString(c.Source)
	}
	w.WriteString("\n")
	lines := fieldLines(c)
	width := 0
	for _, l := range lines {
		width = max(width, len(l.name))
	}
	for _, l := range lines {
		w.WriteString(indent + "      " + l.name + ":" + strings.Repeat(" ", width-len(l.name)+1) + l.text)
		if l.forces {
			w.WriteString("   # forces replacement")
		}
		w.WriteString("\n")
	}
	if c.Note != "" {
		w.WriteString(indent + "      # " + c.Note + "\n")
	}
	if len(c.TakesDown) > 0 {
		w.WriteString(indent + "      # takes down " + takesDownSummary(c.TakesDown) + "\n")
	}
	for _, j := range caused[i] {
		writeChange(w, changes, j, caused, indent+"    ", o)
	}
}

// takesDownSummary counts the accounts and members in a TakesDown list.
func takesDownSummary(keys []string) string {
	var accounts, members int
	for _, k := range keys {
		if strings.HasPrefix(k, "account ") {
			accounts++
		} else {
			members++
		}
	}
	var parts []string
	if accounts > 0 {
		parts = append(parts, plural(accounts, "account"))
	}
	if members > 0 {
		parts = append(parts, plural(members, "member"))
	}
	return strings.Join(parts, " and ")
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// fieldLine is one "name: value" line under a change.
type fieldLine struct {
	name   string
	text   string
	forces bool
}

func quote(s string) string { return strconv.Quote(s) }

func quoteList(s []string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = strconv.Quote(v)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func quotePtr(p *string) string {
	if p == nil {
		return "(none)"
	}
	return strconv.Quote(*p)
}

func quoteOwner(s string) string {
	if s == "" {
		return "(none)"
	}
	return strconv.Quote(s)
}

// fieldValue formats one field of v as the text output shows it.
func fieldValue(v *Values, field string) string {
	switch field {
	case fieldName:
		return quotePtr(v.Name)
	case fieldStatus:
		return quote(v.Status)
	case fieldManagedBy:
		return quoteOwner(v.Owner)
	case fieldRole:
		return quote(v.Role)
	case fieldRedirects:
		return quoteList(v.RedirectURLs)
	case fieldDescription:
		return quotePtr(v.Description)
	case fieldStarters:
		return quoteList(v.StarterUserEmails)
	case fieldCMK:
		return quotePtr(v.CustomerManagedKeyARN)
	}
	return ""
}

// createFields are the fields a create shows, by kind; optional ones only when declared.
func createFields(c *Change) []string {
	a := c.After
	switch c.Kind {
	case KindUser:
		if a.Name != nil {
			return []string{fieldName, fieldStatus}
		}
		return []string{fieldStatus}
	case KindMember:
		return []string{fieldRole}
	case KindAppClient:
		f := []string{}
		if a.Description != nil {
			f = append(f, fieldDescription)
		}
		f = append(f, fieldRedirects, fieldStarters)
		if a.CustomerManagedKeyARN != nil {
			f = append(f, fieldCMK)
		}
		return f
	}
	return nil
}

func fieldLines(c *Change) []fieldLine {
	var out []fieldLine
	switch c.Action {
	case Create:
		if c.After == nil {
			return nil
		}
		for _, f := range createFields(c) {
			out = append(out, fieldLine{name: f, text: fieldValue(c.After, f)})
		}
	case Update:
		if c.Before == nil || c.After == nil {
			return nil
		}
		for _, f := range c.Fields {
			out = append(out, fieldLine{name: f, text: fieldValue(c.Before, f) + " -> " + fieldValue(c.After, f)})
		}
	case Replace:
		if c.Before == nil || c.After == nil {
			return nil
		}
		forces := map[string]bool{}
		for _, f := range c.Fields {
			forces[f] = true
		}
		for _, f := range []string{fieldDescription, fieldRedirects, fieldStarters, fieldCMK} {
			b, a := fieldValue(c.Before, f), fieldValue(c.After, f)
			if b == a && !forces[f] {
				continue
			}
			out = append(out, fieldLine{name: f, text: b + " -> " + a, forces: forces[f]})
		}
	}
	return out
}
