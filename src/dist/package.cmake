# The Debian package (`cpack -G DEB` in a build tree): included from the
# top-level CMakeLists.txt after add_subdirectory(src), so that it packs
# every install() rule. Prefix /usr; dependencies from the shared libraries
# the binary links (dpkg-shlibdeps) plus adduser for the maintainer scripts
# (debian/postinst: the system user pftls in the groups adm and
# systemd-journal, /var/lib/pftls owned by it; debian/postrm: purge removes
# both). The units are installed, never enabled or started.
set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "pftls")
set(CPACK_PACKAGE_VENDOR "pftls")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "finds TLS downgrade incidents in Postfix logs")
set(CPACK_PACKAGE_DESCRIPTION
    "pftls reads Postfix logs and finds sending mail servers whose STARTTLS\nhandshake failed and which then delivered the mail in plaintext.")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # pftls_VERSION_ARCH.deb
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "pftls maintainers <root@localhost>")
set(CPACK_DEBIAN_PACKAGE_SECTION "mail")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "systemd")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "postfix")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${CMAKE_CURRENT_LIST_DIR}/debian/postinst;${CMAKE_CURRENT_LIST_DIR}/debian/prerm;${CMAKE_CURRENT_LIST_DIR}/debian/postrm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
include(CPack)
