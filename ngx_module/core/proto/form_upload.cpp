#include "proto/form_upload.hpp"

#include <stdexcept>

#include "base/path.hpp"

namespace bigupload {

FormUpload::FormUpload(Target dir, std::string boundary, FormUploadLimits limits)
    : dir_(std::move(dir)), limits_(limits), parser_(boundary, limits.parser),
      value_(0)
{
    if (dir_.remote_path.empty() || dir_.remote_path.back() != '/') {
        throw std::logic_error("a form's directory must end with \"/\"");
    }
}

Outcome FormUpload::open(std::int64_t, FsError &e)
{
    // the directory is walked (and created) as a file's would be: the
    // segments of a name inside it
    std::vector<std::string> segments = dir_.segments;
    segments.emplace_back("-");

    Fd dir(open_target_dir(dir_.root, segments, dir_.opt, dir_path_, e));
    if (!dir) {
        return Outcome::error;
    }

    opened_ = true;
    return Outcome::ok;
}

Outcome FormUpload::write_at(const void *data, std::size_t len, std::uint64_t offset,
                             std::int64_t now, FsError &e)
{
    if (offset != fed_ || closed_) {
        throw std::logic_error("form written out of order");
    }

    if (refusal_.error != Error::none) {
        return Outcome::refused;
    }

    fed_ += len;

    if (limits_.max_body && fed_ > limits_.max_body) {
        return refuse(Error::form_too_large, std::string(), std::string(),
                      (std::int64_t) limits_.max_body);
    }

    parser_.feed(static_cast<const char *>(data), len);
    return run(now, e);
}

// The parser's events until it wants more input (ok) or the body is done
// (ok, ended_), or a refusal or a file's failure.
Outcome FormUpload::run(std::int64_t now, FsError &e)
{
    for (;;) {
        Outcome o = Outcome::ok;

        switch (parser_.next()) {

        case FormEvent::need_input:
            return Outcome::ok;

        case FormEvent::part_begin:
            o = begin_part(now, e);
            break;

        case FormEvent::data:
            o = data(parser_.data(), now, e);
            break;

        case FormEvent::part_end:
            if (part_ == Part::field) {
                field_bytes_ += value_.value().size();
                fields_.push_back(FormField{parser_.part().name, value_.value()});
            }
            part_ = Part::none;
            break;

        case FormEvent::end:
            ended_ = true;
            return Outcome::ok;

        case FormEvent::error:
            return refuse(Error::bad_form, form_error_code(parser_.error()),
                          form_error_message(parser_.error()));
        }

        if (o != Outcome::ok) {
            return o;
        }
    }
}

Outcome FormUpload::begin_part(std::int64_t now, FsError &e)
{
    const FormPart &p = parser_.part();

    if (!p.is_file()) {
        field_bytes_ += p.name.size();
        if (field_bytes_ > limits_.max_fields) {
            return refuse(Error::form_fields_too_large, std::string(), std::string(),
                          (std::int64_t) limits_.max_fields);
        }
        value_ = FieldCollector(limits_.max_fields - field_bytes_);
        part_ = Part::field;
        return Outcome::ok;
    }

    const std::string &name = p.preferred_filename();

    if (name.empty()) {
        // a file input left empty: a browser sends the part with no name
        // and no data, and it stands for no file
        part_ = Part::skipped;
        return Outcome::ok;
    }

    // the file name is a path below the request's directory, checked as a
    // remote path is ("a/b.txt" from a directory input goes into "a/")
    FormFile f;
    std::vector<std::string> segments;

    f.remote_path = dir_.remote_path + name;

    PathError pe = split_remote_path(f.remote_path, segments);
    if (pe != PathError::ok) {
        return refuse(Error::form_bad_filename, name, path_error_message(pe));
    }

    for (const FormFile &other : files_) {
        if (other.remote_path == f.remote_path) {
            return refuse(Error::form_duplicate_file, name);
        }
    }

    if (files_.size() >= limits_.max_files) {
        return refuse(Error::form_too_many_files, std::string(), std::string(),
                      (std::int64_t) limits_.max_files);
    }

    Target t;
    t.root = dir_.root;
    t.remote_path = f.remote_path;
    t.segments = std::move(segments);
    t.opt = dir_.opt;
    t.pre = dir_.pre;

    f.field = p.name;
    f.filename = name;
    f.content_type = p.content_type;
    f.upload = std::make_unique<PlainUpload>(std::move(t));

    files_.push_back(std::move(f));
    part_ = Part::file;

    return files_.back().upload->open(now, e);
}

Outcome FormUpload::data(std::string_view d, std::int64_t now, FsError &e)
{
    switch (part_) {

    case Part::file: {
        FormFile &f = files_.back();

        if (limits_.max_file && f.upload->written() + d.size() > limits_.max_file) {
            return refuse(Error::form_file_too_large, f.filename, std::string(),
                          (std::int64_t) limits_.max_file);
        }
        return f.upload->write(d.data(), d.size(), now, e);
    }

    case Part::field:
        if (!value_.append(d)) {
            return refuse(Error::form_fields_too_large, std::string(), std::string(),
                          (std::int64_t) limits_.max_fields);
        }
        return Outcome::ok;

    case Part::skipped:
        return refuse(Error::form_unnamed_data);

    case Part::none:
        break;
    }

    throw std::logic_error("form data outside a part");
}

Outcome FormUpload::refuse(Error err, std::string value, std::string detail,
                           std::int64_t limit)
{
    if (refusal_.error == Error::none) {
        refusal_.error = err;
        refusal_.value = std::move(value);
        refusal_.detail = std::move(detail);
        refusal_.limit = limit;

        if (err == Error::bad_form || err == Error::form_bad_filename) {
            refusal_.message = std::string(error_info(err).message) + ": "
                               + refusal_.detail;
        }
    }
    return Outcome::refused;
}

Outcome FormUpload::finish(bool body_complete, bool durable, std::int64_t now, FsError &e)
{
    if (!body_complete) {
        return abort(false, durable, now, e);
    }

    if (refusal_.error != Error::none) {
        return Outcome::refused;
    }

    parser_.finish();

    Outcome o = run(now, e);
    if (o != Outcome::ok) {
        return o;
    }

    if (!ended_) {
        throw std::logic_error("form parser neither ended nor failed at the end");
    }

    if (files_.empty()) {
        return refuse(Error::form_no_file);
    }

    // every file is whole: into place, in order
    bool created = false;

    for (std::size_t i = 0; i < files_.size(); i++) {
        FormFile &f = files_[i];

        f.outcome = f.upload->finish(true, durable, now, e);

        if (f.outcome != Outcome::created && f.outcome != Outcome::replaced) {
            Outcome failed = f.outcome;
            roll_back(i);
            return failed;
        }

        created = created || f.outcome == Outcome::created;
    }

    closed_ = true;
    return created ? Outcome::created : Outcome::replaced;
}

// A rename failed: the files renamed before it go again (each only if it is
// still the one this request stored), the rest are removed as temp files.
void FormUpload::roll_back(std::size_t committed)
{
    for (std::size_t i = 0; i < files_.size(); i++) {
        if (i < committed) {
            remove_if_same(files_[i].upload->target_path(), files_[i].upload->digest());
            files_[i].outcome = Outcome::ok;
        }
        files_[i].upload->discard();
    }
    closed_ = true;
}

Outcome FormUpload::abort(bool, bool durable, std::int64_t now, FsError &e)
{
    for (FormFile &f : files_) {
        f.upload->abort(false, durable, now, e);
    }
    closed_ = true;
    return Outcome::ok;
}

std::uint64_t FormUpload::size() const
{
    std::uint64_t n = 0;
    for (const FormFile &f : files_) {
        n += f.upload->size();
    }
    return n;
}

const std::string &FormUpload::target_path() const
{
    if (!files_.empty() && !files_.back().upload->target_path().empty()) {
        return files_.back().upload->target_path();
    }
    return dir_path_;
}

std::vector<StoredFile> FormUpload::stored() const
{
    std::vector<StoredFile> out;
    for (const FormFile &f : files_) {
        if (f.outcome == Outcome::created || f.outcome == Outcome::replaced) {
            out.push_back(StoredFile{f.upload->target_path(), f.upload->digest()});
        }
    }
    return out;
}

std::string FormUpload::temp_path() const
{
    for (const FormFile &f : files_) {
        if (f.upload->pending()) {
            return f.upload->temp_path();
        }
    }
    return std::string();
}

void FormUpload::discard() noexcept
{
    for (FormFile &f : files_) {
        f.upload->discard();
    }
}

}  // namespace bigupload
