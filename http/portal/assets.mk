# Portal assets: Bootstrap Italia's dist files (CSS, JS bundle, fonts, SVG
# sprite) installed from npm into http/portal/assets/vendor/, which the portal
# embeds with go:embed. Include this file from the top-level Makefile and make
# `portal-assets` a prerequisite of build, run and test:
#
#	include http/portal/assets.mk
#
# The target is idempotent: it does nothing once the stamp file matches the
# lock file. Without npm it warns and leaves the portal in plain HTML, which
# still works (every page is usable without the vendor files).

PORTAL_DIR        ?= http/portal
PORTAL_NPM_DIR    := $(PORTAL_DIR)/npm
PORTAL_VENDOR_DIR := $(PORTAL_DIR)/assets/vendor
PORTAL_BI_DIST    := $(PORTAL_NPM_DIR)/node_modules/bootstrap-italia/dist
PORTAL_STAMP      := $(PORTAL_VENDOR_DIR)/.installed

.PHONY: portal-assets portal-assets-clean

portal-assets: $(PORTAL_STAMP)

$(PORTAL_STAMP): $(PORTAL_NPM_DIR)/package.json $(PORTAL_NPM_DIR)/package-lock.json
	@if ! command -v npm >/dev/null 2>&1; then \
		echo "portal-assets: npm not found, the portal is served without Bootstrap Italia (apt-get install -y npm to get it)"; \
		exit 0; \
	fi; \
	set -e; \
	( cd $(PORTAL_NPM_DIR) && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error ); \
	rm -rf $(PORTAL_VENDOR_DIR); \
	mkdir -p $(PORTAL_VENDOR_DIR)/css $(PORTAL_VENDOR_DIR)/js $(PORTAL_VENDOR_DIR)/svg $(PORTAL_VENDOR_DIR)/fonts; \
	cp $(PORTAL_BI_DIST)/css/bootstrap-italia.min.css $(PORTAL_VENDOR_DIR)/css/; \
	cp $(PORTAL_BI_DIST)/js/bootstrap-italia.bundle.min.js $(PORTAL_VENDOR_DIR)/js/; \
	cp $(PORTAL_BI_DIST)/svg/sprites.svg $(PORTAL_VENDOR_DIR)/svg/; \
	for f in Titillium_Web Roboto_Mono Lora; do \
		mkdir -p $(PORTAL_VENDOR_DIR)/fonts/$$f; \
		cp $(PORTAL_BI_DIST)/fonts/$$f/*.woff2 $(PORTAL_VENDOR_DIR)/fonts/$$f/; \
		cp $(PORTAL_BI_DIST)/fonts/$$f/OFL.txt $(PORTAL_VENDOR_DIR)/fonts/$$f/ 2>/dev/null || true; \
	done; \
	cp $(PORTAL_NPM_DIR)/node_modules/bootstrap-italia/LICENSE $(PORTAL_VENDOR_DIR)/ 2>/dev/null || true; \
	touch $@; \
	echo "portal-assets: Bootstrap Italia installed in $(PORTAL_VENDOR_DIR)"

portal-assets-clean:
	rm -rf $(PORTAL_VENDOR_DIR) $(PORTAL_NPM_DIR)/node_modules
