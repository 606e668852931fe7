package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// Load reads files and directories (recursively, *.yaml and *.yml, skipping entries whose name
// starts with "."), merges every document into one canonical State and validates it against
// CONTRACT.md section 2. getenv resolves ${NAME} references; commands pass os.Getenv.
//
// Positions use each path as given, joined with the path inside a directory argument. On any
// error Load returns nil and a *Errors holding every error found, sorted by file, line and
// column.
func Load(paths []string, getenv func(string) string) (*State, error) {
	var errs errorList
	if len(paths) == 0 {
		errs.add(Pos{}, "no state file given")
		return nil, finish(&errs)
	}
	files := collect(paths, &errs)
	results := make([]fileResult, len(files))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, name := range files {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			data, err := os.ReadFile(name)
			if err != nil {
				results[i] = fileResult{broken: true, errs: Errors{{Pos: Pos{File: name}, Msg: "cannot read: " + unwrapPath(err).Error()}}}
				return
			}
			results[i] = parseFile(name, data, getenv)
		}()
	}
	wg.Wait()
	return mergeResults(results, &errs)
}

// mergeResults merges the documents of every file read. When a file could not be read or
// parsed whole, the checks that need every declaration are left out (they would report what
// the broken file declares as missing), and one line says so.
func mergeResults(results []fileResult, errs *errorList) (*State, error) {
	var docs []*document
	var broken *Pos // where the first file that could not be parsed whole went wrong
	for _, r := range results {
		docs = append(docs, r.docs...)
		errs.errs = append(errs.errs, r.errs...)
		if r.broken && broken == nil && len(r.errs) > 0 {
			broken = &r.errs[len(r.errs)-1].Pos
		}
	}
	s := merge(docs, broken == nil, errs)
	if errs.skipped > 0 {
		errs.add(*broken, "%d %s that need every file (owner, application and account given, the users of members and parents declared) skipped: this file could not be parsed to its end",
			errs.skipped, plural(errs.skipped, "check", "checks"))
	}
	if len(errs.errs) > 0 {
		return nil, finish(errs)
	}
	return s, nil
}

// LoadBytes loads a single file held in memory, named name in positions; tests and fuzzing use
// it.
func LoadBytes(name string, data []byte, getenv func(string) string) (*State, error) {
	return LoadFiles([]File{{Name: name, Data: data}}, getenv)
}

// LoadFiles loads state files held in memory, such as Marshal's, as Load loads files on disk;
// positions name each file by its Name. Export uses it to check what it is about to write.
func LoadFiles(files []File, getenv func(string) string) (*State, error) {
	var errs errorList
	if len(files) == 0 {
		errs.add(Pos{}, "no state file given")
		return nil, finish(&errs)
	}
	results := make([]fileResult, len(files))
	for i, f := range files {
		results[i] = parseFile(f.Name, f.Data, getenv)
	}
	return mergeResults(results, &errs)
}

// finish sorts the errors and drops repeated ones: a node reached through several YAML
// aliases is checked once per alias, at the same place.
func finish(errs *errorList) error {
	es := errs.errs
	es.sort()
	es = slices.CompactFunc(es, func(a, b *Error) bool { return *a == *b })
	return &es
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// collect expands the arguments into the list of files to read, each once, in argument order
// and, inside a directory, in lexical order. A file is the same file whatever path reaches it
// (relative or absolute, through symbolic links), and it keeps the name it was first reached
// by. A directory argument that is a symbolic link is read as the directory it points to,
// with positions under the name given.
func collect(paths []string, errs *errorList) []string {
	var files []string
	seen := map[string]bool{}
	addFile := func(name, real string) {
		if !seen[real] {
			seen[real] = true
			files = append(files, name)
		}
	}
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			errs.add(Pos{File: p}, "cannot read: %v", unwrapPath(err))
			continue
		}
		root := realPath(p)
		if !info.IsDir() {
			addFile(p, root)
			continue
		}
		found := 0
		// Walk the directory itself (WalkDir does not follow a symbolic link at its root) and
		// name what it finds under p.
		err = filepath.WalkDir(root, func(real string, e fs.DirEntry, err error) error {
			name := p
			if rel, rerr := filepath.Rel(root, real); rerr == nil && rel != "." {
				name = filepath.Join(p, rel)
			}
			if err != nil {
				errs.add(Pos{File: name}, "cannot read: %v", unwrapPath(err))
				return nil
			}
			if real != root && strings.HasPrefix(e.Name(), ".") {
				if e.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if e.IsDir() || !IsStateFileName(real) {
				return nil
			}
			found++
			if e.Type()&fs.ModeSymlink != 0 {
				real = realPath(real)
			}
			addFile(name, real)
			return nil
		})
		if err != nil {
			errs.add(Pos{File: p}, "cannot read: %v", err)
		}
		if found == 0 {
			errs.add(Pos{File: p}, "no *.yaml or *.yml file in this directory")
		}
	}
	return files
}

// realPath is the absolute path of name with every symbolic link resolved, or its cleaned path
// when that cannot be found.
func realPath(name string) string {
	abs, err := filepath.Abs(name)
	if err != nil {
		return filepath.Clean(name)
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		return r
	}
	return abs
}

// IsStateFileName reports whether a directory entry named name is a state file the loader
// reads: its extension is exactly .yaml or .yml (lower-case). Entries whose name starts with
// "." are skipped besides.
func IsStateFileName(name string) bool {
	ext := filepath.Ext(name)
	return ext == ".yaml" || ext == ".yml"
}

type fileResult struct {
	docs []*document
	errs Errors
	// broken is set when the file could not be read or parsed to its end (a YAML syntax error,
	// aliases over budget), so that docs may lack some of its declarations.
	broken bool
}

// aliasBudget is how many nodes the walk of a file may visit: proportional to its size, so that
// YAML aliases can multiply the work only by a small constant.
func aliasBudget(data []byte) int { return 4*len(data) + 10000 }

// parseFile parses every YAML document of one file and decodes it.
func parseFile(name string, data []byte, getenv func(string) string) (r fileResult) {
	d := &decoder{file: name, getenv: getenv, budget: aliasBudget(data)}
	defer func() {
		// yaml.v3 is not known to panic on any input since v3.0.1, but a state file must never
		// crash the tool: report it as an error of this file.
		if p := recover(); p != nil {
			r = fileResult{broken: true, errs: Errors{{Pos: Pos{File: name, Line: 1, Col: 1}, Msg: fmt.Sprintf("cannot parse YAML: %v", p)}}}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var root yaml.Node
		err := dec.Decode(&root)
		if err == io.EOF {
			break
		}
		if err != nil {
			d.add(yamlErrorPos(name, data, err), "%s", yamlErrorMsg(err))
			r.broken = true
			break
		}
		if len(root.Content) == 0 {
			continue
		}
		r.docs = append(r.docs, d.decodeDocument(root.Content[0]))
		if d.exhausted {
			break
		}
	}
	if len(r.docs) == 0 && len(d.errs) == 0 {
		d.add(Pos{File: name, Line: 1, Col: 1}, "no YAML document: a state file holds documents with version: 1")
	}
	r.errs = d.errs
	r.broken = r.broken || d.exhausted
	return r
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// yamlParserErrors are the messages of yaml.v3's parser (as opposed to its scanner), whose
// line it reports 0-based (go-yaml/yaml#205): one less than the line of the problem.
var yamlParserErrors = []string{
	"did not find expected <stream-start>",
	"did not find expected <document start>",
	"did not find expected node content",
	"did not find expected key",
	"did not find expected '-' indicator",
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"found undefined tag handle",
	"found duplicate %YAML directive",
	"found duplicate %TAG directive",
	"found incompatible YAML document",
}

// yamlErrorPos finds the line in a yaml.v3 parse error of data, which carries it only in its
// text. An error without one is on the first line (yaml.v3 omits line 1). A parser error's line
// is made 1-based, and kept within the file: one detected at the end of the data would
// otherwise point past its last line.
func yamlErrorPos(name string, data []byte, err error) Pos {
	p := Pos{File: name, Line: 1, Col: 1}
	text := err.Error()
	m := yamlLine.FindStringSubmatch(text)
	if m == nil {
		return p
	}
	n, aerr := strconv.Atoi(m[1])
	if aerr != nil || n <= 0 {
		return p
	}
	msg := strings.TrimPrefix(text, m[0])
	for _, pe := range yamlParserErrors {
		if msg == pe {
			n++
			break
		}
	}
	lines := bytes.Count(data, []byte("\n"))
	if len(data) > 0 && data[len(data)-1] != '\n' {
		lines++
	}
	p.Line = max(1, min(n, lines))
	return p
}

func yamlErrorMsg(err error) string {
	msg := yamlLine.ReplaceAllString(err.Error(), "")
	return "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
