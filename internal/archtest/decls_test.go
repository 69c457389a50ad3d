package archtest

import (
	"go/ast"
	"go/token"
	"regexp"
	"strconv"
	"strings"
)

// decls is what a package declares, in all its files, tests included.
type decls struct {
	top     map[string]bool // functions, types, variables, constants
	members map[string]bool // "Type.Name": methods, struct fields, interface methods
	member  map[string]bool // the Name of every member
	flags   map[string]bool // names of command-line flags its files define
}

// declsOf indexes p's declarations.
func declsOf(p *pkg) *decls {
	d := &decls{top: map[string]bool{}, members: map[string]bool{}, member: map[string]bool{}, flags: map[string]bool{}}
	addMember := func(typ, name string) {
		d.members[typ+"."+name] = true
		d.member[name] = true
	}
	for _, f := range p.files {
		for _, decl := range f.Decls {
			switch decl := decl.(type) {
			case *ast.FuncDecl:
				if decl.Recv == nil || len(decl.Recv.List) == 0 {
					d.top[decl.Name.Name] = true
					continue
				}
				if typ := recvType(decl.Recv.List[0].Type); typ != "" {
					addMember(typ, decl.Name.Name)
				}
			case *ast.GenDecl:
				for _, spec := range decl.Specs {
					switch spec := spec.(type) {
					case *ast.TypeSpec:
						d.top[spec.Name.Name] = true
						switch typ := spec.Type.(type) {
						case *ast.StructType:
							for _, field := range typ.Fields.List {
								for _, n := range field.Names {
									addMember(spec.Name.Name, n.Name)
								}
								if len(field.Names) == 0 {
									if name := recvType(field.Type); name != "" {
										addMember(spec.Name.Name, name)
									}
								}
							}
						case *ast.InterfaceType:
							for _, method := range typ.Methods.List {
								for _, n := range method.Names {
									addMember(spec.Name.Name, n.Name)
								}
							}
						}
					case *ast.ValueSpec:
						for _, n := range spec.Names {
							d.top[n.Name] = true
						}
					}
				}
			}
		}
		// flag.Bool("update", …) and the like define a flag.
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if x, ok := sel.X.(*ast.Ident); !ok || x.Name != "flag" {
				return true
			}
			if lit, ok := call.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if name, err := strconv.Unquote(lit.Value); err == nil {
					d.flags[name] = true
				}
			}
			return true
		})
	}
	return d
}

// recvType is the name of a receiver's or embedded field's type: T for
// T, *T, T[K] and pkg.T.
func recvType(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.StarExpr:
		return recvType(e.X)
	case *ast.IndexExpr:
		return recvType(e.X)
	case *ast.IndexListExpr:
		return recvType(e.X)
	case *ast.SelectorExpr:
		return e.Sel.Name
	}
	return ""
}

// has reports whether the package declares ref: "Name" at top level (or,
// if members, as any type's member), or "Type.Name".
func (d *decls) has(ref []string, members bool) bool {
	switch len(ref) {
	case 1:
		return d.top[ref[0]] || members && d.member[ref[0]]
	case 2:
		return d.members[strings.Join(ref, ".")]
	}
	return false
}

// hasTest reports whether a test, fuzz target, benchmark or example of the
// package matches a -run pattern.
func (d *decls) hasTest(re *regexp.Regexp) bool {
	for name := range d.top {
		for _, prefix := range []string{"Test", "Fuzz", "Benchmark", "Example"} {
			if strings.HasPrefix(name, prefix) && re.MatchString(name) {
				return true
			}
		}
	}
	return false
}
