# make test-cluster: the scale-out tests on a real distributed filesystem.
# t/cluster/run sets up GlusterFS from Debian's packages (one glusterd, a
# replicated volume of two bricks on local directories, two FUSE mounts), in
# namespaces of its own, runs t/cluster/*.t (two nginx with the module, one
# per mount, sharing one store) and tears it all down, also when a test
# fails.  As root.  TESTS=t/cluster/010-resume-other-node.t runs some of them.

.PHONY: test-cluster

test-cluster: all
	@sh scripts/install-deps --cluster
	BIGUPLOAD_BUILD=$(abspath $(BUILD)) bash t/cluster/run $(TESTS)
