# make install: the module into nginx's modules directory and its load_module line into
# Debian's modules-available, bgclient into $(PREFIX)/bin, the man pages, the README.
#   make install [DESTDIR=/tmp/stage] [PREFIX=/usr/local]
# The nginx directories do not move with PREFIX: they are where Debian's nginx looks.
# The modules directory is created (a stock Debian 12 has none until a libnginx-mod-*
# package is installed).  Enabling the module is one link, see README "Installing on Debian".

PREFIX        ?= /usr/local
BINDIR        ?= $(PREFIX)/bin
MANDIR        ?= $(PREFIX)/share/man
DOCDIR        ?= $(PREFIX)/share/doc/bigupload
# the --modules-path Debian's nginx was configured with (/usr/lib/nginx/modules)
NGINX_MODULES_DIR ?= $(shell sed -n 's/.*--modules-path=\([^ ]*\).*/\1/p' $(NGX_SRC)/conf_flags)
NGINX_MODCONF_DIR ?= /usr/share/nginx/modules-available
INSTALL       ?= install
# the installed binaries are stripped (the module is 8-10 MB with its symbols);
# INSTALL_STRIP= keeps them, for the Debian build, whose dh_strip keeps them in -dbgsym
INSTALL_STRIP ?= -s

.PHONY: install install-module install-client install-man install-doc

install: all install-module install-client install-man install-doc

install-module: $(MODULE)
	@test -n "$(NGINX_MODULES_DIR)" || { echo "install: no --modules-path in $(NGX_SRC)/conf_flags" >&2; exit 1; }
	$(INSTALL) -d $(DESTDIR)$(NGINX_MODULES_DIR) $(DESTDIR)$(NGINX_MODCONF_DIR)
	$(INSTALL) $(INSTALL_STRIP) -m 0644 $(MODULE) $(DESTDIR)$(NGINX_MODULES_DIR)/
	echo 'load_module modules/ngx_http_bigupload_module.so;' > $(DESTDIR)$(NGINX_MODCONF_DIR)/mod-http-bigupload.conf
	chmod 0644 $(DESTDIR)$(NGINX_MODCONF_DIR)/mod-http-bigupload.conf

install-client: $(BUILD)/bgclient
	$(INSTALL) -d $(DESTDIR)$(BINDIR)
	$(INSTALL) $(INSTALL_STRIP) -m 0755 $(BUILD)/bgclient $(DESTDIR)$(BINDIR)/

install-man: man
	$(INSTALL) -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8
	$(INSTALL) -m 0644 $(BUILD)/man/bgclient.1 $(DESTDIR)$(MANDIR)/man1/
	$(INSTALL) -m 0644 $(BUILD)/man/bigupload.8 $(DESTDIR)$(MANDIR)/man8/

install-doc: README.md
	$(INSTALL) -d $(DESTDIR)$(DOCDIR)
	$(INSTALL) -m 0644 README.md $(DESTDIR)$(DOCDIR)/

# make test-install (in make test): make install into $(BUILD)/stage, PREFIX=/opt/bigupload
.PHONY: test-install

test-install: module client man
	rm -rf $(BUILD)/stage
	$(MAKE) --no-print-directory install-module install-client install-man install-doc \
	    DESTDIR=$(abspath $(BUILD))/stage PREFIX=/opt/bigupload > /dev/null
	sh scripts/test-install $(BUILD)/stage /opt/bigupload

TEST_MORE += test-install
