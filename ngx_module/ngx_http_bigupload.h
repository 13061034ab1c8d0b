/*
 * The one header of the glue that includes nginx: inside extern "C", first.
 * The core (core/) never includes this file.
 */

#ifndef NGX_HTTP_BIGUPLOAD_H_INCLUDED
#define NGX_HTTP_BIGUPLOAD_H_INCLUDED

extern "C" {
#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <ngx_thread_pool.h>
}

static_assert(__cplusplus >= 201703L, "bigupload needs C++17");

#if !(NGX_THREADS)
#error "bigupload needs nginx built --with-threads (Debian's nginx is)"
#endif

#endif /* NGX_HTTP_BIGUPLOAD_H_INCLUDED */
