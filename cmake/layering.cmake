# Stage a per-library view of include/ringside/ so that a library can only
# include the headers it is allowed to depend on.
#
# Header ownership is by file-name prefix:
#   shm:   the headers listed in RS_SHM_HEADERS
#   feed:  feed_*.h, decode*.h
#   (transport -- net*.h, tls*.h, ws*.h -- is core: both feed and exec use it)
#   exec:  exec_*.h, sim_*.h, venue_*.h, sign*.h
#   core:  everything else
# feed sees shm+core+feed, exec sees shm+core+exec, core sees shm+core,
# tools/tests/bench see everything.
set(RS_INC_SRC ${CMAKE_SOURCE_DIR}/include/ringside)
set(RS_SHM_HEADERS atomics.h common.h ring.h region.h tsc.h crc32c.h)
set(RS_FEED_RE "^(feed_|decode)")
set(RS_EXEC_RE "^(exec_|sim_|venue_|sign)")

file(GLOB RS_ALL_HEADERS CONFIGURE_DEPENDS RELATIVE ${RS_INC_SRC} ${RS_INC_SRC}/*.h)

function(rs_stage_headers name)
  set(dst ${CMAKE_BINARY_DIR}/inc/${name}/ringside)
  file(REMOVE_RECURSE ${dst})
  file(MAKE_DIRECTORY ${dst})
  foreach(h ${RS_ALL_HEADERS})
    set(owner core)
    list(FIND RS_SHM_HEADERS ${h} is_shm)
    if(NOT is_shm EQUAL -1)
      set(owner shm)
    elseif(h MATCHES "${RS_FEED_RE}")
      set(owner feed)
    elseif(h MATCHES "${RS_EXEC_RE}")
      set(owner exec)
    endif()
    set(ok FALSE)
    if(name STREQUAL "all")
      set(ok TRUE)
    elseif(owner STREQUAL "shm")
      set(ok TRUE)
    elseif(owner STREQUAL "core" AND NOT name STREQUAL "shm")
      set(ok TRUE)
    elseif(owner STREQUAL name)
      set(ok TRUE)
    endif()
    if(ok)
      file(CREATE_LINK ${RS_INC_SRC}/${h} ${dst}/${h} SYMBOLIC)
    endif()
  endforeach()
  set(RS_INC_${name} ${CMAKE_BINARY_DIR}/inc/${name} PARENT_SCOPE)
endfunction()

rs_stage_headers(shm)
rs_stage_headers(core)
rs_stage_headers(feed)
rs_stage_headers(exec)
rs_stage_headers(all)
