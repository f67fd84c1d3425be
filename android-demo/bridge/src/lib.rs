//! JNI bridge: the native methods of the Java classes `inkjot.Recognizer` and `inkjot.Session`,
//! implemented on inkjot's C ABI (`inkjot::ffi`), so that Java gets exactly the C library's
//! validation, error codes and thread-safety.
//!
//! Handles cross into Java as `long`s holding the C pointers. The Java classes guard them: a
//! recognizer is freed only under its write lock (no recognition in flight), a session's methods
//! are `synchronized`. Every native method catches panics; errors become
//! `inkjot.InkjotException(code, message)` with the C status codes.

use std::ffi::{CStr, CString};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr::{null, null_mut};

use inkjot::ffi::{
    InkjotOptions, InkjotPoint, InkjotRecognizer, InkjotResults, InkjotSession, InkjotStatus,
    inkjot_abi_version, inkjot_last_error_message, inkjot_recognize, inkjot_recognizer_free,
    inkjot_recognizer_new_from_memory, inkjot_recognizer_new_from_path, inkjot_results_count,
    inkjot_results_free, inkjot_results_score, inkjot_results_text, inkjot_session_add_point,
    inkjot_session_candidates, inkjot_session_clear, inkjot_session_end_stroke,
    inkjot_session_free, inkjot_session_new, inkjot_session_stroke_count, inkjot_version,
};
use inkjot::ink::{InkLimits, SYNTHETIC_TIME_STEP_MS};
use jni::JNIEnv;
use jni::objects::{
    JByteArray, JClass, JFloatArray, JLongArray, JObject, JObjectArray, JString, JThrowable, JValue,
};
use jni::sys::{jboolean, jdouble, jfloat, jint, jlong, jobjectArray, jstring};

const EXCEPTION: &str = "inkjot/InkjotException";
const CANDIDATE: &str = "inkjot/Candidate";

/// Why a native method failed.
enum Failure {
    /// An inkjot status code and message (thrown as `InkjotException`).
    Status(i32, String),
    /// A JNI call failed; usually a Java exception is already pending.
    Jni(jni::errors::Error),
}

impl From<jni::errors::Error> for Failure {
    fn from(e: jni::errors::Error) -> Self {
        Failure::Jni(e)
    }
}

type Result<T> = std::result::Result<T, Failure>;

fn fail<T>(status: InkjotStatus, message: impl Into<String>) -> Result<T> {
    Err(Failure::Status(status as i32, message.into()))
}

/// Turns a C status into a `Result`, taking the thread's last error message.
fn check(status: InkjotStatus) -> Result<()> {
    if status == InkjotStatus::Ok {
        return Ok(());
    }
    // SAFETY: the library returns a NUL-terminated string valid until its next call on this
    // thread; it is copied at once.
    let message = unsafe { CStr::from_ptr(inkjot_last_error_message()) }
        .to_string_lossy()
        .into_owned();
    Err(Failure::Status(status as i32, message))
}

/// Runs a native method's body: panics and failures become Java exceptions and `fallback`.
fn guard<'local, T>(
    env: &mut JNIEnv<'local>,
    fallback: T,
    body: impl FnOnce(&mut JNIEnv<'local>) -> Result<T>,
) -> T {
    let outcome = catch_unwind(AssertUnwindSafe(|| body(env)));
    let (code, message) = match outcome {
        Ok(Ok(v)) => return v,
        Ok(Err(Failure::Status(code, message))) => (code, message),
        Ok(Err(Failure::Jni(e))) => {
            if env.exception_check().unwrap_or(true) {
                return fallback; // the Java exception already pending says what happened
            }
            (InkjotStatus::Internal as i32, format!("JNI error: {e}"))
        }
        Err(_) => (
            InkjotStatus::Internal as i32,
            "internal error (panic) in the JNI bridge".to_owned(),
        ),
    };
    throw(env, code, &message);
    fallback
}

fn throw(env: &mut JNIEnv<'_>, code: i32, message: &str) {
    let thrown = (|| -> jni::errors::Result<()> {
        let text = env.new_string(message)?;
        let exception = env.new_object(
            EXCEPTION,
            "(ILjava/lang/String;)V",
            &[JValue::Int(code), JValue::Object(&text)],
        )?;
        env.throw(JThrowable::from(exception))
    })();
    if thrown.is_err() && !env.exception_check().unwrap_or(true) {
        let _ = env.throw_new("java/lang/RuntimeException", message);
    }
}

/// A Java string as a C string; `None` for a Java null.
fn c_string(env: &mut JNIEnv<'_>, s: &JString<'_>, what: &str) -> Result<Option<CString>> {
    if s.is_null() {
        return Ok(None);
    }
    let text: String = env.get_string(s)?.into();
    match CString::new(text) {
        Ok(c) => Ok(Some(c)),
        Err(_) => fail(
            InkjotStatus::InvalidArgument,
            format!("{what} contains a NUL character"),
        ),
    }
}

fn opt_ptr(s: &Option<CString>) -> *const std::ffi::c_char {
    s.as_ref().map_or(null(), |c| c.as_ptr())
}

fn recognizer_ptr(handle: jlong) -> Result<*const InkjotRecognizer> {
    if handle == 0 {
        return fail(InkjotStatus::NullPointer, "the recognizer is closed");
    }
    Ok(handle as *const InkjotRecognizer)
}

fn session_ptr(handle: jlong) -> Result<*mut InkjotSession> {
    if handle == 0 {
        return fail(InkjotStatus::NullPointer, "the session is closed");
    }
    Ok(handle as *mut InkjotSession)
}

/// Reads Java's `float[][] x, float[][] y, long[][] t` (t may be null: 10 ms per point) into the
/// C arrays.
fn read_strokes(
    env: &mut JNIEnv<'_>,
    x: &JObjectArray<'_>,
    y: &JObjectArray<'_>,
    t: &JObjectArray<'_>,
) -> Result<(Vec<InkjotPoint>, Vec<usize>)> {
    if x.is_null() || y.is_null() {
        return fail(InkjotStatus::NullPointer, "x and y must not be null");
    }
    let strokes = env.get_array_length(x)?;
    if env.get_array_length(y)? != strokes || (!t.is_null() && env.get_array_length(t)? != strokes)
    {
        return fail(
            InkjotStatus::InvalidArgument,
            "x, y and t must hold the same number of strokes",
        );
    }
    let limit = InkLimits::default().max_strokes;
    if strokes as usize > limit {
        return fail(
            InkjotStatus::InvalidInk,
            format!("ink has {strokes} strokes, more than the limit {limit}"),
        );
    }
    let mut points = Vec::new();
    let mut lengths = Vec::with_capacity(strokes as usize);
    let mut next_t = 0.0;
    for i in 0..strokes {
        let xs = JFloatArray::from(env.get_object_array_element(x, i)?);
        let ys = JFloatArray::from(env.get_object_array_element(y, i)?);
        let ts = if t.is_null() {
            JLongArray::from(JObject::null())
        } else {
            JLongArray::from(env.get_object_array_element(t, i)?)
        };
        if xs.is_null() || ys.is_null() || (!t.is_null() && ts.is_null()) {
            return fail(InkjotStatus::NullPointer, format!("stroke {i} is null"));
        }
        let n = env.get_array_length(&xs)?;
        if env.get_array_length(&ys)? != n || (!ts.is_null() && env.get_array_length(&ts)? != n) {
            return fail(
                InkjotStatus::InvalidInk,
                format!("stroke {i}: x, y and t have different lengths"),
            );
        }
        let n = n as usize;
        let mut bx = vec![0f32; n];
        let mut by = vec![0f32; n];
        env.get_float_array_region(&xs, 0, &mut bx)?;
        env.get_float_array_region(&ys, 0, &mut by)?;
        let bt: Vec<f64> = if ts.is_null() {
            (0..n)
                .map(|k| next_t + k as f64 * SYNTHETIC_TIME_STEP_MS)
                .collect()
        } else {
            let mut raw = vec![0i64; n];
            env.get_long_array_region(&ts, 0, &mut raw)?;
            raw.into_iter().map(|v| v as f64).collect()
        };
        if let Some(&last) = bt.last() {
            next_t = last + 2.0 * SYNTHETIC_TIME_STEP_MS;
        }
        points.extend((0..n).map(|k| InkjotPoint {
            x: f64::from(bx[k]),
            y: f64::from(by[k]),
            t: bt[k],
        }));
        lengths.push(n);
        // Keep the local reference table small for inks of many strokes.
        env.delete_local_ref(xs)?;
        env.delete_local_ref(ys)?;
        if !ts.is_null() {
            env.delete_local_ref(ts)?;
        }
    }
    Ok((points, lengths))
}

/// Java options (as separate arguments) as C options; `context` must outlive their use.
fn options(
    nbest: jint,
    context: &Option<CString>,
    height: jdouble,
    use_lm: jboolean,
) -> Result<InkjotOptions> {
    if nbest < 1 {
        return fail(
            InkjotStatus::InvalidArgument,
            format!("nbest must be at least 1, not {nbest}"),
        );
    }
    Ok(InkjotOptions {
        nbest: nbest as usize,
        pre_context: opt_ptr(context),
        writing_area_height: height,
        use_lm: use_lm != 0,
    })
}

/// Converts a C result list into `inkjot.Candidate[]` and frees it.
fn candidates<'local>(
    env: &mut JNIEnv<'local>,
    results: *mut InkjotResults,
) -> Result<JObjectArray<'local>> {
    struct Owned(*mut InkjotResults);
    impl Drop for Owned {
        fn drop(&mut self) {
            // SAFETY: a list from the C API, freed exactly once, here.
            unsafe { inkjot_results_free(self.0) }
        }
    }
    let results = Owned(results);
    // SAFETY: a live list.
    let n = unsafe { inkjot_results_count(results.0) };
    let array = env.new_object_array(n as i32, CANDIDATE, JObject::null())?;
    for i in 0..n {
        // SAFETY: a live list and an index below its count; the text is copied at once.
        let (text, score) = unsafe {
            (
                CStr::from_ptr(inkjot_results_text(results.0, i))
                    .to_string_lossy()
                    .into_owned(),
                inkjot_results_score(results.0, i),
            )
        };
        let text = env.new_string(text)?;
        let candidate = env.new_object(
            CANDIDATE,
            "(Ljava/lang/String;F)V",
            &[JValue::Object(&text), JValue::Float(score)],
        )?;
        env.set_object_array_element(&array, i as i32, &candidate)?;
        env.delete_local_ref(candidate)?;
        env.delete_local_ref(text)?;
    }
    Ok(array)
}

/// `static native String nativeVersion()`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_inkjot_Recognizer_nativeVersion<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
) -> jstring {
    guard(&mut env, null_mut(), |env| {
        // SAFETY: a static NUL-terminated string.
        let version = unsafe { CStr::from_ptr(inkjot_version()) }.to_string_lossy();
        Ok(env.new_string(version)?.into_raw())
    })
}

/// `static native int nativeAbiVersion()`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_inkjot_Recognizer_nativeAbiVersion<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
) -> jint {
    guard(&mut env, 0, |_| Ok(inkjot_abi_version() as jint))
}

/// `static native long nativeNewFromPath(String modelPath, String lang)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_inkjot_Recognizer_nativeNewFromPath<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    model_path: JString<'local>,
    lang: JString<'local>,
) -> jlong {
    guard(&mut env, 0, |env| {
        let path = c_string(env, &model_path, "modelPath")?;
        let lang = c_string(env, &lang, "lang")?;
        let mut out = null_mut();
        // SAFETY: NULL or NUL-terminated strings alive for the call; `out` is a local.
        check(unsafe {
            inkjot_recognizer_new_from_path(opt_ptr(&path), opt_ptr(&lang), &mut out)
        })?;
        Ok(out as jlong)
    })
}

/// `static native long nativeNewFromBytes(byte[] model, byte[] lm, String decoderConfig)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_inkjot_Recognizer_nativeNewFromBytes<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    model: JByteArray<'local>,
    lm: JByteArray<'local>,
    decoder_config: JString<'local>,
) -> jlong {
    guard(&mut env, 0, |env| {
        if model.is_null() {
            return fail(InkjotStatus::NullPointer, "model must not be null");
        }
        let model = env.convert_byte_array(&model)?;
        let lm = if lm.is_null() {
            Vec::new()
        } else {
            env.convert_byte_array(&lm)?
        };
        let config = c_string(env, &decoder_config, "decoderConfig")?;
        let mut out = null_mut();
        // SAFETY: the buffers and string live for the call; `out` is a local.
        check(unsafe {
            inkjot_recognizer_new_from_memory(
                model.as_ptr(),
                model.len(),
                if lm.is_empty() { null() } else { lm.as_ptr() },
                lm.len(),
                opt_ptr(&config),
                &mut out,
            )
        })?;
        Ok(out as jlong)
    })
}

/// `static native void nativeFree(long handle)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_inkjot_Recognizer_nativeFree<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    handle: jlong,
) {
    guard(&mut env, (), |_| {
        // SAFETY: Java frees each handle once, under the write lock (nothing else uses it).
        unsafe { inkjot_recognizer_free(handle as *mut InkjotRecognizer) };
        Ok(())
    })
}

/// `static native Candidate[] nativeRecognize(long handle, float[][] x, float[][] y, long[][] t,
/// int nbest, String preContext, double writingAreaHeight, boolean useLm)`.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_inkjot_Recognizer_nativeRecognize<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    handle: jlong,
    x: JObjectArray<'local>,
    y: JObjectArray<'local>,
    t: JObjectArray<'local>,
    nbest: jint,
    pre_context: JString<'local>,
    writing_area_height: jdouble,
    use_lm: jboolean,
) -> jobjectArray {
    guard(&mut env, null_mut(), |env| {
        let recognizer = recognizer_ptr(handle)?;
        let (points, lengths) = read_strokes(env, &x, &y, &t)?;
        let context = c_string(env, &pre_context, "preContext")?;
        let options = options(nbest, &context, writing_area_height, use_lm)?;
        let mut out = null_mut();
        // SAFETY: a live recognizer (Java holds the read lock), arrays and options alive for the
        // call, `out` a local.
        check(unsafe {
            inkjot_recognize(
                recognizer,
                points.as_ptr(),
                lengths.as_ptr(),
                lengths.len(),
                &options,
                &mut out,
            )
        })?;
        Ok(candidates(env, out)?.into_raw())
    })
}

/// `static native long nativeNew(long recognizer, double writingAreaHeight)` of `Session`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_inkjot_Session_nativeNew<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    recognizer: jlong,
    writing_area_height: jdouble,
) -> jlong {
    guard(&mut env, 0, |_| {
        let recognizer = recognizer_ptr(recognizer)?;
        let mut out = null_mut();
        // SAFETY: a live recognizer (Java holds its read lock); `out` a local.
        check(unsafe { inkjot_session_new(recognizer, writing_area_height, &mut out) })?;
        Ok(out as jlong)
    })
}

/// `static native void nativeAddPoint(long session, float x, float y, long t)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_inkjot_Session_nativeAddPoint<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    session: jlong,
    x: jfloat,
    y: jfloat,
    t: jlong,
) {
    guard(&mut env, (), |_| {
        let session = session_ptr(session)?;
        // SAFETY: a live session; Java's `synchronized` keeps it to one thread at a time.
        check(unsafe { inkjot_session_add_point(session, f64::from(x), f64::from(y), t as f64) })
    })
}

/// `static native void nativeEndStroke(long session)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_inkjot_Session_nativeEndStroke<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    session: jlong,
) {
    guard(&mut env, (), |_| {
        let session = session_ptr(session)?;
        // SAFETY: as in nativeAddPoint.
        check(unsafe { inkjot_session_end_stroke(session) })
    })
}

/// `static native Candidate[] nativeCandidates(long session, int nbest, String preContext,
/// boolean useLm)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_inkjot_Session_nativeCandidates<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    session: jlong,
    nbest: jint,
    pre_context: JString<'local>,
    use_lm: jboolean,
) -> jobjectArray {
    guard(&mut env, null_mut(), |env| {
        let session = session_ptr(session)?;
        let context = c_string(env, &pre_context, "preContext")?;
        let options = options(nbest, &context, 0.0, use_lm)?;
        let mut out = null_mut();
        // SAFETY: as in nativeAddPoint; options alive for the call; `out` a local.
        check(unsafe { inkjot_session_candidates(session, &options, &mut out) })?;
        Ok(candidates(env, out)?.into_raw())
    })
}

/// `static native void nativeClear(long session)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_inkjot_Session_nativeClear<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    session: jlong,
) {
    guard(&mut env, (), |_| {
        let session = session_ptr(session)?;
        // SAFETY: as in nativeAddPoint.
        check(unsafe { inkjot_session_clear(session) })
    })
}

/// `static native int nativeStrokeCount(long session)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_inkjot_Session_nativeStrokeCount<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    session: jlong,
) -> jint {
    guard(&mut env, 0, |_| {
        let session = session_ptr(session)?;
        // SAFETY: as in nativeAddPoint.
        Ok(unsafe { inkjot_session_stroke_count(session) } as jint)
    })
}

/// `static native void nativeFree(long session)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_inkjot_Session_nativeFree<'local>(
    mut env: JNIEnv<'local>,
    _class: JClass<'local>,
    session: jlong,
) {
    guard(&mut env, (), |_| {
        // SAFETY: Java frees each session once (synchronized, then the handle is zeroed).
        unsafe { inkjot_session_free(session as *mut InkjotSession) };
        Ok(())
    })
}
