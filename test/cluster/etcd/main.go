// etcd's own main (go.etcd.io/etcd/v3 main.go) is a module whose go.mod replaces its siblings with
// local paths, so `go install` refuses it; this is the same two lines over the published server module.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
