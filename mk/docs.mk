# The man pages bgclient(1) and bigupload(8), made from README.md, their one source, by
# scripts/docs; and the check that the code, the README and the man pages agree (bgclient's
# options and exit codes, the module's directives and variables), run by make test.

MAN_PAGES := $(BUILD)/man/bgclient.1 $(BUILD)/man/bigupload.8

.PHONY: man test-docs

man: $(MAN_PAGES)

$(MAN_PAGES): README.md scripts/docs client/tool_help.hpp
	@mkdir -p $(dir $@)
	perl scripts/docs man $(basename $(notdir $@)) README.md > $@.tmp && mv $@.tmp $@

test-docs: man client
	perl scripts/docs check $(BUILD)

TEST_MORE += test-docs
